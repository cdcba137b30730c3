"""The demo company: deterministic, seeded data that tells the story of DOMAIN.md.

"Demo Industries", about 300 people in 8 departments, over the four complete quarters before the day the
demo runs (`anchor`) plus the started current quarter:

- `tickets_glpi.csv`: a GLPI "Search > Export CSV" in French, in the dialect of the real export in
  ../shared/samples/glpi (UTF-8 BOM, `;`, every field quoted, trailing `;`, bare LF, ids with a thousands
  space, `DD-MM-YYYY HH:MM` in Europe/Paris local time, prose durations), so the demo goes through the real
  GLPI importer rather than a canonical shortcut. Two columns beyond the sample's 15:
  `Demandeur - Groupe demandeur` (search option 71, "Requester group", in section "Demandeur": GLPI's
  English export writes it `Requester - Requester Group`; it carries the requester's department) and
  `Statistiques - Délai de prise en compte` (option 150, `takeintoaccount_delay_stat`, "Take into account
  time", GLPI's TTO clock). No take-into-account *date* column was found among GLPI's ticket search
  options, so the first response is given as that delay, as GLPI exports it; the exact instant is also in
  `ticket_events.csv` (the first "En cours" event). The delays are those of an entity without a business calendar (GLPI's
  default): wall-clock seconds, the resolution delay net of the time spent "En attente", so an importer
  gets the first response back as opening + delay. A ticket not yet resolved / taken into account shows
  `0 seconde`, as GLPI does.
- `ticket_events.csv`: the status history in canonical `ticket_events` columns (consistent with the
  export: the last event of each ticket is its exported status). Tickets wait for the requester
  ("En attente"), some are planned, some are reopened; resolved tickets close 7 days later (GLPI's
  auto-close).
- `usage/<tool>.csv`: canonical usage event logs of 6 tools (`crm`, `m365`, `erp`, `helpdesk`, `hr`, `bi`),
  one row per user and active day, `user` = e-mail address. Sales barely use the CRM until a training at
  the start of the last complete quarter, after which three times as many salespeople use it. The M365 log
  carries no department (as Microsoft's reports with concealed names): the directory supplies it. Two
  people who left kept their M365 licence and still *receive* mail (`mail_receive`, which is not activity).
- `licences.csv`, `assignments.csv` (some shelfware and idle seats), `directory.csv` (joiners and leavers;
  Direction has 4 people, under the default minimum group size of 5, to exercise the `other` merge).
- `sla.yaml` and `audit.yaml`: copies of `examples/sla.yaml` and the commented `examples/audit.yaml`,
  whose relative paths resolve next to the data.

Same (anchor, seed) -> same bytes: no clock is read, every random draw comes from a generator seeded with
(seed, part), and every file is sorted. Tickets are generated in "office time" (an index of the minutes of
the demo's office calendar), so arrivals fall in office hours and work advances during opening hours only.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from auditbridge.period import last_complete_quarter

GENERATOR_VERSION = 1
TIMEZONE = "Europe/Paris"
DOMAIN = "demo-industries.fr"
STAMP = ".demo-stamp.json"

# Headcount over the whole window (leavers included). Direction is deliberately under 5 people.
DEPARTMENTS: dict[str, int] = {
    "Direction": 4,
    "Ventes": 62,
    "Marketing": 20,
    "Finance": 24,
    "Achats": 18,
    "RH": 12,
    "Production": 150,
    "IT": 16,
}

# The columns of GLPI's French ticket search export as the real sample has them ...
GLPI_SEARCH_COLUMNS = [
    "ID",
    "Titre",
    "Entité",
    "Statut",
    "Dernière modification",
    "Date d'ouverture",
    "Date de clôture",
    "Priorité",
    "Demandeur - Demandeur",
    "Attribué à - Technicien",
    "Catégorie",
    "Lieu",
    "Date de résolution",
    "Statistiques - Délai de résolution",
    "Attribué à - Groupe de techniciens",
]
# ... plus the requester's group (department) and the time to own (first response) the demo adds to its search
GLPI_COLUMNS = [
    *GLPI_SEARCH_COLUMNS,
    "Demandeur - Groupe demandeur",
    "Statistiques - Délai de prise en compte",
]
STATUS_CANONICAL = {
    "Nouveau": "new",
    "En cours (Attribué)": "open",
    "En cours (Planifié)": "open",
    "En attente": "pending",
    "Résolu": "resolved",
    "Clos": "closed",
}
# GLPI priority labels, and how much faster (factor < 1) or slower such tickets are worked on.
PRIORITIES = ["Très haute", "Haute", "Moyenne", "Basse", "Très basse"]
PRIORITY_WEIGHTS = [0.05, 0.22, 0.48, 0.18, 0.07]
PRIORITY_SPEED = {"Très haute": 0.1, "Haute": 0.6, "Moyenne": 1.0, "Basse": 1.5, "Très basse": 2.2, "": 1.3}
NO_PRIORITY_SHARE = 1 / 3

# (category, technician group, title subjects); weights per department below.
CATEGORIES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "Incident > Poste de travail > Matériel",
        "DSI > Support N1",
        ("PC QUI NE DEMARRE PLUS", "ECRAN NOIR", "CLAVIER HS"),
    ),
    (
        "Incident > Poste de travail > Imprimante",
        "DSI > Support N1",
        ("IMPRIMANTE BLOQUEE", "BOURRAGE PAPIER"),
    ),
    (
        "Incident > Messagerie > Outlook",
        "DSI > Support N1",
        ("OUTLOOK NE SYNCHRONISE PLUS", "MAILS NON RECUS"),
    ),
    ("Incident > Réseau > Wi-Fi", "DSI > Systèmes et réseaux", ("WIFI INSTABLE", "PAS D'ACCES INTERNET")),
    (
        "Incident > Logiciel > CRM",
        "DSI > Applications",
        ("CRM TRES LENT", "ERREUR A L'ENREGISTREMENT D'UN DEVIS"),
    ),
    ("Incident > Logiciel > ERP", "DSI > Applications", ("ERP : ECRITURE BLOQUEE", "ERREUR DE LETTRAGE")),
    (
        "Incident > Production > Supervision",
        "DSI > Systèmes et réseaux",
        ("ARRET TERMINAL ATELIER", "ETIQUETEUSE HS"),
    ),
    (
        "Demande > Compte utilisateur > Création",
        "DSI > Support N1",
        ("CREATION DE COMPTE", "ARRIVEE NOUVEAU COLLABORATEUR"),
    ),
    ("Demande > Compte utilisateur > Mot de passe", "DSI > Support N1", ("REINITIALISATION MOT DE PASSE",)),
    (
        "Demande > Logiciel > Installation",
        "DSI > Support N1",
        ("INSTALLATION LOGICIEL", "DEMANDE DE LICENCE"),
    ),
    ("Demande > Droits > Accès dossier partagé", "DSI > Systèmes et réseaux", ("ACCES DOSSIER PARTAGE",)),
]
_CATEGORY_NAMES = np.array([c[0] for c in CATEGORIES])
_CATEGORY_GROUPS = np.array([c[1] for c in CATEGORIES])
# subjects per category as a rectangle (shorter lists repeat), so a ticket's subject is one fancy index
_SUBJECTS = np.array([[c[2][k % len(c[2])] for k in range(6)] for c in CATEGORIES])
_CATEGORY_WEIGHTS_DEFAULT = [10, 6, 9, 6, 1, 1, 0, 4, 9, 5, 4]
CATEGORY_WEIGHTS: dict[str, list[float]] = {
    "Ventes": [10, 4, 9, 6, 9, 1, 0, 3, 9, 4, 3],
    "Finance": [8, 5, 8, 4, 0, 9, 0, 3, 8, 4, 5],
    "Achats": [8, 5, 8, 4, 0, 7, 0, 3, 8, 4, 4],
    "Production": [8, 8, 4, 6, 0, 1, 12, 4, 9, 2, 2],
}
LOCATIONS = {
    "Production": "USINE > VILLEFRANCHE > ATELIER",
    "Ventes": "SIEGE > LYON > COMMERCE",
}
DEFAULT_LOCATION = "SIEGE > LYON"

# fmt: off
FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Jade", "Louise", "Alice", "Juliette",
    "Clara", "Zoé", "Lucie", "Margaux", "Anaïs", "Pauline", "Élodie", "Amélie", "Hélène", "Nathalie",
    "Sophie", "Céline", "Isabelle", "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Théo",
    "Nathan", "Raphaël", "Tom", "Mathis", "Antoine", "Julien", "Nicolas", "Thomas", "Maxime", "Alexandre",
    "Romain", "Guillaume", "Pierre", "François", "Stéphane", "Olivier", "Jérôme", "Sébastien", "Karim",
    "Yanis", "Mehdi", "Fatou", "Aïcha",
]
LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure",
    "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
    "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
    "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer",
    "Dufour", "Meunier", "Benali", "Diallo", "Nguyen", "Lopes", "Haddad", "Ferreira",
]
# fmt: on

# Office calendar of the demo (the same as examples/sla.yaml's `office`): weekday -> opening ranges, minutes.
_OFFICE = {
    0: [(540, 750), (810, 1080)],
    1: [(540, 750), (810, 1080)],
    2: [(540, 750), (810, 1080)],
    3: [(540, 750), (810, 1080)],
    4: [(540, 750), (810, 1020)],
}

# Seeded sub-streams, so changing one part of the story does not reshuffle the others.
_PART = {"people": 1, "tickets": 2, "usage": 3}


def _rng(seed: int, part: str, sub: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, _PART[part], sub])


# --------------------------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class Window:
    """The days the demo covers, in the audit's timezone: `start` .. `anchor` - 1 (the export runs at `anchor` 00:00)."""

    start: date
    anchor: date
    quarter_starts: tuple[date, ...]  # starts of the complete quarters, oldest first

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.anchor - timedelta(days=1), freq="D", unit="s")

    @property
    def cutoff(self) -> int:
        """The export instant (anchor midnight, local) in epoch seconds."""
        return int(pd.Timestamp(self.anchor).tz_localize(TIMEZONE).timestamp())


def window_for(anchor: date, quarters: int = 4) -> Window:
    last = last_complete_quarter(anchor)
    periods = [last]
    for _ in range(quarters - 1):
        periods.append(periods[-1].previous())
    return Window(periods[-1].start, anchor, tuple(p.start for p in reversed(periods)))


def _holidays(days: pd.DatetimeIndex) -> np.ndarray:
    """True on French public holidays."""
    import holidays

    years = sorted(set(days.year))
    closed = {pd.Timestamp(d) for d in holidays.country_holidays("FR", years=years)}
    return days.isin(list(closed))


def _office_minutes(start: date, end: date) -> np.ndarray:
    """Epoch seconds of every office minute (Europe/Paris calendar, French holidays closed) in [start, end)."""
    days = pd.date_range(start, end - timedelta(days=1), freq="D", unit="s")
    open_days = days[(days.day_of_week < 5) & ~_holidays(days)]
    parts = []
    for weekday, ranges in _OFFICE.items():
        these = open_days[open_days.day_of_week == weekday].to_numpy()
        offsets = np.concatenate([np.arange(a, b) for a, b in ranges]).astype("timedelta64[m]")
        parts.append(np.add.outer(these, offsets).ravel())
    local = np.sort(np.concatenate(parts)).astype("datetime64[s]")
    return pd.DatetimeIndex(local).tz_localize(TIMEZONE).as_unit("s").asi8


@dataclass(frozen=True)
class OfficeClock:
    """Office time as a counter: position = office seconds since the first office minute."""

    minutes: np.ndarray  # epoch seconds of each office minute, increasing

    def position(self, t: np.ndarray) -> np.ndarray:
        """Office seconds elapsed up to instant `t` (an instant outside hours counts up to the next opening)."""
        i = np.searchsorted(self.minutes, t, side="right") - 1
        inside = (i >= 0) & (t - self.minutes[np.clip(i, 0, None)] < 60)
        return np.where(inside, i * 60 + (t - self.minutes[np.clip(i, 0, None)]), (i + 1) * 60)

    def instant(self, pos: np.ndarray) -> np.ndarray:
        idx = np.clip(pos // 60, 0, len(self.minutes) - 1)
        return self.minutes[idx] + pos % 60

    def advance(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return self.instant(self.position(t) + seconds.astype(np.int64))

    def between(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        return self.position(t1) - self.position(t0)


# ----------------------------------------------------------------------------------------------- people


def _ascii(text: pd.Series) -> pd.Series:
    folded = [unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode() for t in text]
    return (
        pd.Series(folded, index=text.index, dtype="string")
        .str.lower()
        .str.replace(r"[^a-z]+", "-", regex=True)
    )


def make_people(window: Window, seed: int) -> pd.DataFrame:
    """The directory: one row per person with name, GLPI id, e-mail, department, start and end dates."""
    rng = _rng(seed, "people")
    n = sum(DEPARTMENTS.values())
    pairs = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=n, replace=False)
    first = pd.Series(np.array(FIRST_NAMES)[pairs // len(LAST_NAMES)], dtype="string")
    last = pd.Series(np.array(LAST_NAMES)[pairs % len(LAST_NAMES)], dtype="string")
    department = pd.Series(np.repeat(list(DEPARTMENTS), list(DEPARTMENTS.values())), dtype="string")
    span = (window.anchor - window.start).days
    # 8% joined during the window, 6% left during it; everyone else was there before and stays.
    joined = rng.random(n) < 0.08
    left = ~joined & (rng.random(n) < 0.06)
    keep = department == "Direction"  # the small department stays exactly 4 people, all present
    joined &= ~keep.to_numpy()
    left &= ~keep.to_numpy()
    before = pd.Timestamp(window.start) - pd.to_timedelta(rng.integers(60, 4000, n), unit="D")
    during = pd.Timestamp(window.start) + pd.to_timedelta(rng.integers(20, span - 20, n), unit="D")
    start = pd.Series(np.where(joined, during, before)).dt.normalize()
    end_during = pd.Timestamp(window.start) + pd.to_timedelta(rng.integers(30, span - 10, n), unit="D")
    end = pd.Series(pd.NaT, index=start.index, dtype=start.dtype).mask(
        left, pd.Series(end_during).dt.normalize()
    )
    local = _ascii(first) + "." + _ascii(last)
    people = pd.DataFrame(
        {
            "first": first,
            "last": last,
            "department": department,
            "email": local + "@" + DOMAIN,
            "glpi_id": pd.Series(np.arange(n) * 7 + 112, dtype="int64"),
            "start_date": start,
            "end_date": end,
        }
    )
    people["glpi_name"] = (
        people["first"] + " " + people["last"] + " (" + people["glpi_id"].astype("string") + ")"
    )
    return people


def _employed(people: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Boolean matrix people x days: on the payroll that day."""
    d = days.to_numpy()[None, :]
    start = people["start_date"].to_numpy()[:, None]
    end = people["end_date"].fillna(pd.Timestamp("2262-01-01")).to_numpy()[:, None]
    return (d >= start) & (d < end)


def technicians(people: pd.DataFrame) -> pd.DataFrame:
    """IT people who work tickets: all of IT but the two first (the IT manager and the architect)."""
    return people[people["department"] == "IT"].iloc[2:]


# ---------------------------------------------------------------------------------------------- tickets


def _lognormal(rng: np.random.Generator, median_s: float, sigma: float, n: int) -> np.ndarray:
    return np.maximum(1, rng.lognormal(np.log(median_s), sigma, n)).astype(np.int64)


def make_tickets(window: Window, people: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tickets (one row each, epoch-second instants) and their status events (long form)."""
    rng = _rng(seed, "tickets")
    clock = OfficeClock(_office_minutes(window.start, window.anchor + timedelta(days=400)))
    days = window.days
    office_days = (days.day_of_week < 5) & ~_holidays(days)
    rate = np.where(days.day_of_week == 0, 13.0, 10.5) * np.where(days.month == 8, 0.55, 1.0) * office_days
    per_day = rng.poisson(rate)
    # office-hours arrivals: a random office minute of that day
    day_of_minute = (
        pd.to_datetime(clock.minutes, unit="s", utc=True).tz_convert(TIMEZONE).normalize().tz_localize(None)
    )
    first_minute = np.searchsorted(day_of_minute.to_numpy(), days.to_numpy())
    minutes_that_day = (
        np.searchsorted(day_of_minute.to_numpy(), (days + pd.Timedelta(days=1)).to_numpy()) - first_minute
    )
    which_day = np.repeat(np.arange(len(days)), per_day)
    pick = first_minute[which_day] + (rng.random(len(which_day)) * minutes_that_day[which_day]).astype(
        np.int64
    )
    created_office = clock.minutes[pick] + rng.integers(0, 60, len(pick))
    # a few arrive out of hours (evenings, weekends: on-call incidents)
    start_s = int(pd.Timestamp(window.start).tz_localize(TIMEZONE).timestamp())
    created_out = rng.integers(start_s, window.cutoff, int(len(pick) * 0.03))
    created = np.sort(np.concatenate([created_office, created_out]))
    n = len(created)

    # who asks: someone on the payroll that day (redraw the few who were not)
    created_day = (
        pd.to_datetime(created, unit="s", utc=True).tz_convert(TIMEZONE).normalize().tz_localize(None)
    )
    start = people["start_date"].to_numpy()
    end = people["end_date"].fillna(pd.Timestamp("2262-01-01")).to_numpy()
    who = rng.integers(0, len(people), n)
    for _ in range(20):
        bad = (created_day.to_numpy() < start[who]) | (created_day.to_numpy() >= end[who])
        if not bad.any():
            break
        who[bad] = rng.integers(0, len(people), int(bad.sum()))
    requester = people.iloc[who].reset_index(drop=True)
    department = requester["department"].to_numpy()

    priority = rng.choice(PRIORITIES, size=n, p=PRIORITY_WEIGHTS)
    priority = np.where(rng.random(n) < NO_PRIORITY_SHARE, "", priority)
    category = np.zeros(n, dtype=np.int64)
    for dept in DEPARTMENTS:
        mask = department == dept
        weights = np.array(CATEGORY_WEIGHTS.get(dept, _CATEGORY_WEIGHTS_DEFAULT), dtype=float)
        category[mask] = rng.choice(len(CATEGORIES), size=int(mask.sum()), p=weights / weights.sum())
    speed = pd.Series(priority).map(PRIORITY_SPEED).to_numpy(dtype=float)

    # the life of a ticket, in office seconds; heavy-tailed work, requester waits of about a day
    t_new = created
    # "nobody sets priorities": tickets without one wait in the queue before anyone takes them
    unprioritised = priority == ""
    queue = np.where(unprioritised, 6.0, np.minimum(speed, 1.0))
    t_assigned = clock.advance(t_new, _lognormal(rng, 25 * 60, 1.1, n) * queue)
    planned = (rng.random(n) < 0.10) & (priority != "Très haute")  # emergencies are not scheduled
    t_planned = clock.advance(t_assigned, _lognormal(rng, 2 * 3600, 0.8, n))
    t_work = np.where(planned, t_planned, t_assigned)
    waits = rng.random(n) < 0.25
    t_pending = clock.advance(t_work, _lognormal(rng, 3600, 1.0, n))
    t_resume = clock.advance(t_pending, _lognormal(rng, 7 * 3600, 1.0, n))
    t_before_solve = np.where(waits, t_resume, t_work)
    backlog = np.where(unprioritised, _lognormal(rng, 10 * 3600, 1.2, n), 0)
    t_solved = clock.advance(
        t_before_solve, (_lognormal(rng, 3 * 3600, 1.5, n) * speed).astype(np.int64) + backlog
    )
    reopened = rng.random(n) < 0.06
    t_reopen = clock.advance(t_solved, _lognormal(rng, 8 * 3600, 0.7, n))
    t_solved2 = clock.advance(t_reopen, _lognormal(rng, 2 * 3600, 1.0, n))
    t_last_solve = np.where(reopened, t_solved2, t_solved)
    t_closed = t_last_solve + 7 * 86400 + rng.integers(0, 3600, n)

    ids = 41_000 + np.arange(n)
    stages = [  # (instant, present, GLPI status), in the order they happen
        (t_new, np.ones(n, bool), "Nouveau"),
        (t_assigned, np.ones(n, bool), "En cours (Attribué)"),
        (t_planned, planned, "En cours (Planifié)"),
        (t_pending, waits, "En attente"),
        (t_resume, waits, "En cours (Attribué)"),
        (t_solved, np.ones(n, bool), "Résolu"),
        (t_reopen, reopened, "En cours (Attribué)"),
        (t_solved2, reopened, "Résolu"),
        (t_closed, np.ones(n, bool), "Clos"),
    ]
    events = pd.concat(
        [
            pd.DataFrame(
                {"ticket": np.flatnonzero(present), "stage": k, "at": t[present], "status_raw": status}
            )
            for k, (t, present, status) in enumerate(stages)
        ],
        ignore_index=True,
    )
    events = (
        events[events["at"] < window.cutoff]
        .sort_values(["ticket", "stage"], kind="stable")
        .reset_index(drop=True)
    )
    events["seq"] = events.groupby("ticket").cumcount()
    events["ticket_id"] = ids[events["ticket"].to_numpy()]
    events["status_raw"] = events["status_raw"].astype("string")

    last = events.groupby("ticket").tail(1).set_index("ticket")
    final = last["status_raw"].reindex(np.arange(n)).to_numpy()
    solved_now = np.isin(final, ["Résolu", "Clos"])
    # the latest resolution known at export time (a reopening after the export has not happened yet)
    solved_at = events[events["status_raw"] == "Résolu"].groupby("ticket")["at"].max().reindex(np.arange(n))
    solved_at = np.where(solved_now, solved_at.fillna(-1).to_numpy(dtype=np.int64), -1)
    taken = final != "Nouveau"
    # GLPI's statistics, wall clock (an entity without calendar): the resolution delay excludes the wait
    paused = np.where(waits & (t_resume <= solved_at), t_resume - t_pending, 0)
    tickets = pd.DataFrame(
        {
            "ticket_id": ids,
            "created": created,
            "last_modified": last["at"].reindex(np.arange(n)).to_numpy(),
            "status_raw": final,
            "priority_raw": priority,
            "requester": requester["glpi_name"].to_numpy(),
            "department": department,
            "category": _CATEGORY_NAMES[category],
            "group": _CATEGORY_GROUPS[category],
            "subject": _SUBJECTS[category, rng.integers(0, _SUBJECTS.shape[1], n)],
            "solved_at": solved_at,
            "closed_at": np.where(final == "Clos", t_closed, -1),
            "solve_delay_s": np.where(solved_now, solved_at - created - paused, 0),
            "take_delay_s": np.where(taken, t_assigned - created, 0),
            "taken": taken,
        }
    )
    tickets = _add_people_cells(tickets, people, rng)
    return tickets, events


def _add_people_cells(tickets: pd.DataFrame, people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Technician cells (empty while new, sometimes two joined by `<br>`) and occasional second requesters."""
    n = len(tickets)
    techs = technicians(people)["glpi_name"].to_numpy()
    one = techs[rng.integers(0, len(techs), n)]
    two = techs[rng.integers(0, len(techs), n)]
    both = (rng.random(n) < 0.10) & (one != two)
    tech = np.where(both, np.char.add(np.char.add(one.astype(str), " <br>"), two.astype(str)), one)
    tech = np.where(tickets["taken"].to_numpy(), tech, "")
    extra = np.empty(n, dtype=object)
    dept = tickets["department"].to_numpy()
    for name, members in people.groupby("department")[
        "glpi_name"
    ]:  # 8 departments: a colleague of the requester
        mask = dept == name
        extra[mask] = members.to_numpy()[rng.integers(0, len(members), int(mask.sum()))]
    extra = extra.astype(str)
    second = (rng.random(n) < 0.03) & (extra != tickets["requester"].to_numpy())
    requester = np.where(
        second,
        np.char.add(np.char.add(tickets["requester"].to_numpy().astype(str), " <br>"), extra.astype(str)),
        tickets["requester"].to_numpy(),
    )
    group = np.where(rng.random(n) < 0.15, "", tickets["group"].to_numpy())  # GLPI leaves many groups empty
    return tickets.assign(technician=tech, requester=requester, group=group)


def french_duration(seconds: pd.Series) -> pd.Series:
    """GLPI's prose durations in French: `1 jours 3 heures 17 minutes`, `2 heures 5 minutes`, `1 minute`, `41 secondes`.

    As GLPI's `Html::timestampToString` writes them: days and hours always plural, minutes or seconds alone
    with French plural rules (0 and 1 singular); seconds are shown only under a minute.
    """
    s = seconds.astype("int64")
    d, h, m, sec = s // 86400, s % 86400 // 3600, s % 3600 // 60, s % 60
    ds, hs, ms, ss = (x.astype("string") for x in (d, h, m, sec))
    out = pd.Series(ss + np.where(sec > 1, " secondes", " seconde"), index=s.index, dtype="string")
    out = out.mask(s >= 60, ms + np.where(m > 1, " minutes", " minute"))
    out = out.mask(s >= 3600, hs + " heures " + ms + " minutes")
    out = out.mask(s >= 86400, ds + " jours " + hs + " heures " + ms + " minutes")
    return out


def iso_local(utc_s: np.ndarray | pd.Series) -> pd.Series:
    """Epoch seconds -> `2026-07-01T09:30:00+02:00` in Europe/Paris; negative (missing) -> empty.

    Built from numpy's ISO text and the zone's offset, because strftime's `%z` is formatted per element
    (seconds for the M365 log) and has no portable `%:z`.
    """
    values = np.asarray(utc_s, dtype=np.int64)
    utc = pd.DatetimeIndex(pd.to_datetime(np.clip(values, 0, None), unit="s", utc=True)).as_unit("s")
    local = utc.tz_convert(TIMEZONE).tz_localize(None)
    offset_min = (local.asi8 - utc.asi8) // 60
    labels = {
        m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in np.unique(offset_min)
    }
    text = pd.Series(np.datetime_as_string(local.to_numpy(), unit="s"), dtype="string")
    text = text + pd.Series(offset_min).map(labels).astype("string")
    return text.where(values >= 0, "")


def _glpi_date(utc_s: np.ndarray | pd.Series) -> pd.Series:
    """Epoch seconds -> GLPI's `DD-MM-YYYY HH:MM` local time; missing -> empty."""
    iso = iso_local(utc_s)
    text = iso.str[8:10] + "-" + iso.str[5:7] + "-" + iso.str[0:4] + " " + iso.str[11:16]
    return text.where(iso != "", "")


def _utc_seconds(local: np.ndarray | pd.DatetimeIndex) -> np.ndarray:
    """Naive Europe/Paris wall-clock times -> epoch seconds."""
    return pd.DatetimeIndex(local).tz_localize(TIMEZONE).as_unit("s").asi8


def glpi_frame(tickets: pd.DataFrame) -> pd.DataFrame:
    """The export's columns as GLPI writes them, newest modification first (GLPI's list order)."""
    t = tickets.sort_values(["last_modified", "ticket_id"], ascending=False, kind="stable").reset_index(
        drop=True
    )
    ident = t["ticket_id"].astype("string")
    return pd.DataFrame(
        {
            "ID": ident.str[:-3] + " " + ident.str[-3:],
            "Titre": t["department"].str.upper() + " : " + t["subject"] + " (" + ident + ")",
            "Entité": "DEMO INDUSTRIES",
            "Statut": t["status_raw"],
            "Dernière modification": _glpi_date(t["last_modified"]),
            "Date d'ouverture": _glpi_date(t["created"]),
            "Date de clôture": _glpi_date(t["closed_at"]),
            "Priorité": t["priority_raw"],
            "Demandeur - Demandeur": t["requester"],
            "Attribué à - Technicien": t["technician"],
            "Catégorie": t["category"],
            "Lieu": t["department"].map(LOCATIONS).fillna(DEFAULT_LOCATION),
            "Date de résolution": _glpi_date(t["solved_at"]),
            "Statistiques - Délai de résolution": french_duration(t["solve_delay_s"]),
            "Attribué à - Groupe de techniciens": t["group"],
            "Demandeur - Groupe demandeur": t["department"],
            "Statistiques - Délai de prise en compte": french_duration(t["take_delay_s"]),
        },
        columns=GLPI_COLUMNS,
    ).astype("string")


def glpi_bytes(frame: pd.DataFrame) -> bytes:
    """GLPI's CSV dialect: UTF-8 BOM, `;`, every field quoted, trailing `;`, bare LF, newline at the end."""

    def quoted(col: pd.Series) -> pd.Series:
        return '"' + col.fillna("").str.replace('"', '""', regex=False) + '"'

    header = ";".join(f'"{c}"' for c in frame.columns) + ";"
    lines = quoted(frame.iloc[:, 0])
    for col in frame.columns[1:]:
        lines = lines + ";" + quoted(frame[col])
    body = "\n".join([header, *(lines + ";").tolist()]) + "\n"
    return b"\xef\xbb\xbf" + body.encode("utf-8")


def events_frame(events: pd.DataFrame) -> pd.DataFrame:
    """Canonical ticket_events, sorted by ticket and order."""
    out = events.sort_values(["ticket_id", "seq"], kind="stable")
    return pd.DataFrame(
        {
            "ticket_id": out["ticket_id"].astype("string"),
            "at": iso_local(out["at"]).to_numpy(),
            "status": out["status_raw"].map(STATUS_CANONICAL).astype("string"),
            "status_raw": out["status_raw"],
            "seq": out["seq"].astype("int64"),
        }
    )


# ------------------------------------------------------------------------------------------------ usage

# tool -> (actions, mean activities per active day)
TOOLS: dict[str, tuple[tuple[str, ...], float]] = {
    "crm": (("contact_view", "opportunity_update", "quote_create"), 4.0),
    "m365": (("mail_send", "file_edit", "teams_chat", "meeting_join"), 12.0),
    "erp": (("entry_post", "invoice_view", "order_create"), 20.0),
    "helpdesk": (("ticket_update", "ticket_view", "followup_add"), 25.0),
    "hr": (("absence_approve", "employee_view", "payroll_export"), 6.0),
    "bi": (("dashboard_view", "report_export"), 3.0),
}


def _day_factor(window: Window) -> np.ndarray:
    """How likely people work on each day: weekdays yes, weekends and holidays rarely, August half."""
    days = window.days
    factor = np.where(days.day_of_week < 5, 1.0, 0.03)
    factor = np.where(_holidays(days), 0.08, factor)
    return factor * np.where(days.month == 8, 0.55, 1.0)


def usage_plan(people: pd.DataFrame, window: Window, seed: int) -> dict[str, np.ndarray]:
    """Per tool, each person's chance of using it on an ordinary working day, per day (people x days).

    The CRM story lives here: 12 salespeople use it before the training that opens the last complete
    quarter, 36 after it (3x); Marketing and Direction use it a little throughout.
    """
    rng = _rng(seed, "usage", 0)
    days = window.days.to_numpy()
    n, n_days = len(people), len(days)
    dept = people["department"].to_numpy()
    always = (people["end_date"].isna() & (people["start_date"] < pd.Timestamp(window.start))).to_numpy()
    idx = np.arange(n)

    def flat(p: np.ndarray) -> np.ndarray:
        return np.repeat(p[:, None], n_days, axis=1)

    sales = rng.permutation(idx[(dept == "Ventes") & always])
    trained_from = np.datetime64(window.quarter_starts[-1])
    crm = np.zeros((n, n_days))
    crm[sales[:12], :] = 0.25
    crm[np.ix_(sales[12:36], np.flatnonzero(days >= trained_from))] = 0.25
    crm += flat(np.where(np.isin(idx, idx[dept == "Marketing"][:10][::2]), 0.10, 0.0))
    crm += flat(np.where(idx == idx[dept == "Direction"][0], 0.05, 0.0))

    m365 = flat(np.full(n, 0.9))
    finance, achats = idx[dept == "Finance"], idx[dept == "Achats"]
    erp = flat(
        np.select(
            [dept == "Finance", np.isin(idx, achats[:12]), idx == idx[dept == "Direction"][1]],
            [0.85, 0.6, 0.2],
            0.0,
        )
    )
    techs = technicians(people).index.to_numpy()
    helpdesk = flat(np.where(np.isin(idx, techs), 0.9, np.where(dept == "IT", 0.05, 0.0)))
    hr = flat(np.select([dept == "RH", idx == idx[dept == "Direction"][2]], [0.75, 0.1], 0.0))
    analysts = np.concatenate([finance[:2], idx[dept == "Marketing"][:1], idx[dept == "Ventes"][-1:]])
    bi = flat(np.where(np.isin(idx, analysts), 0.3, 0.0))
    return {"crm": crm, "m365": m365, "erp": erp, "helpdesk": helpdesk, "hr": hr, "bi": bi}


def make_usage(people: pd.DataFrame, window: Window, seed: int) -> dict[str, pd.DataFrame]:
    """Canonical usage logs, one frame per tool: one row per user and active day, at an office-hours time."""
    plan = usage_plan(people, window, seed)
    employed = _employed(people, window.days)
    factor = _day_factor(window)
    day_local = window.days.to_numpy()
    out = {}
    for k, (tool, chance) in enumerate(plan.items()):
        rng = _rng(seed, "usage", k + 1)
        active = rng.random(chance.shape) < np.clip(chance * factor[None, :], 0, 1)
        person, day = np.nonzero(active & employed)
        actions, mean = TOOLS[tool]
        minute = 8 * 60 + 30 + rng.integers(0, 570, len(person))  # 08:30 .. 18:00
        local = day_local[day] + (minute * 60 + rng.integers(0, 60, len(person))).astype("timedelta64[s]")
        frame = pd.DataFrame(
            {
                "tool": tool,
                "user": people["email"].to_numpy()[person],
                "at": iso_local(_utc_seconds(local)).to_numpy(),
                "action": np.array(actions)[rng.integers(0, len(actions), len(person))],
                "count": 1 + rng.poisson(mean - 1, len(person)),
                "department": people["department"].to_numpy()[person],
            }
        )
        if tool == "m365":
            frame["department"] = ""  # concealed in Microsoft's reports: the directory supplies it
            frame = pd.concat([frame, _mail_to_leavers(people, window)], ignore_index=True)
        out[tool] = frame.sort_values(["at", "user", "action"], kind="stable").reset_index(drop=True)
    return out


def zombie_leavers(people: pd.DataFrame) -> pd.Index:
    """The two earliest leavers (outside IT): their M365 licence was never taken back."""
    gone = people[people["end_date"].notna() & (people["department"] != "IT")]
    return gone.sort_values(["end_date", "email"], kind="stable").index[:2]


def _mail_to_leavers(people: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Mail keeps arriving in the mailboxes of the zombie accounts: received mail, which is not activity."""
    rows = []
    days = window.days[window.days.day_of_week < 5]
    for i in zombie_leavers(people):
        after = days[days >= people.at[i, "end_date"]]
        local = after + pd.Timedelta(hours=7, minutes=45)
        rows.append(
            pd.DataFrame(
                {
                    "tool": "m365",
                    "user": people.at[i, "email"],
                    "at": iso_local(_utc_seconds(local)).to_numpy(),
                    "action": "mail_receive",
                    "count": 3,
                    "department": "",
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# ----------------------------------------------------------------------------- licences, seats, directory

LICENCES = pd.DataFrame(
    {
        "tool": ["crm", "m365", "erp", "helpdesk", "hr", "bi"],
        "seats": [80, 320, 40, 20, 15, 10],
        "cost_per_seat_month": [65.0, 12.5, 95.0, 35.0, 9.0, 40.0],
        "currency": "EUR",
    }
)


def make_assignments(people: pd.DataFrame) -> pd.DataFrame:
    """Who holds a seat: everyone has M365; CRM for Sales, 10 marketers and 2 directors; and so on.

    Leavers hand their seats back on their last day, except the two M365 zombies.
    """
    dept = people["department"]
    idx = people.index.to_numpy()
    direction = idx[dept == "Direction"]
    holders = {
        "crm": np.concatenate([idx[dept == "Ventes"], idx[dept == "Marketing"][:10], direction[:2]]),
        "m365": idx,
        "erp": np.concatenate([idx[dept == "Finance"], idx[dept == "Achats"][:12], direction[1:2]]),
        "helpdesk": idx[dept == "IT"],
        "hr": np.concatenate([idx[dept == "RH"], direction[2:3]]),
        "bi": np.concatenate(
            [
                idx[dept == "Finance"][:4],
                direction[:2],
                idx[dept == "Ventes"][-2:],
                idx[dept == "Marketing"][:2],
            ]
        ),
    }
    zombies = zombie_leavers(people)
    frames = []
    for tool, who in holders.items():
        p = people.loc[np.unique(who)]
        end = p["end_date"]
        if tool == "m365":
            end = end.mask(p.index.isin(zombies))
        frames.append(
            pd.DataFrame(
                {
                    "tool": tool,
                    "user": p["email"].to_numpy(),
                    "assigned_at": _midnight(p["start_date"]),
                    "unassigned_at": _midnight(end),
                }
            )
        )
    return (
        pd.concat(frames, ignore_index=True)
        .sort_values(["tool", "user"], kind="stable")
        .reset_index(drop=True)
    )


def _midnight(days: pd.Series) -> np.ndarray:
    present = days.notna().to_numpy()
    seconds = np.full(len(days), -1, dtype=np.int64)
    seconds[present] = _utc_seconds(pd.DatetimeIndex(days[present]))
    return iso_local(seconds).to_numpy()


def directory_frame(people: pd.DataFrame, window: Window) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "user": people["email"],
            "department": people["department"],
            "active": np.where(people["end_date"].isna(), "true", "false"),
            "start_date": people["start_date"].dt.strftime("%Y-%m-%d"),
            "end_date": people["end_date"].dt.strftime("%Y-%m-%d").fillna(""),
        }
    )
    return out.sort_values("user", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- writing


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path


def generate(out_dir: Path, *, anchor: date, seed: int = 20261, quarters: int = 4) -> dict[str, Path]:
    """Write the demo company's files into `out_dir`; same (anchor, seed, quarters) -> same bytes.

    Returns the written files by name: `tickets`, `ticket_events`, `usage_<tool>`, `licences`,
    `assignments`, `directory`, `sla_policy`, `audit_config`.
    """
    from auditbridge.home import resource_dir

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = window_for(anchor, quarters)
    people = make_people(window, seed)
    tickets, events = make_tickets(window, people, seed)
    written: dict[str, Path] = {}
    written["tickets"] = out_dir / "tickets_glpi.csv"
    written["tickets"].write_bytes(glpi_bytes(glpi_frame(tickets)))
    written["ticket_events"] = _write_csv(events_frame(events), out_dir / "ticket_events.csv")
    for tool, frame in make_usage(people, window, seed).items():
        written[f"usage_{tool}"] = _write_csv(frame, out_dir / "usage" / f"{tool}.csv")
    written["licences"] = _write_csv(LICENCES, out_dir / "licences.csv")
    written["assignments"] = _write_csv(make_assignments(people), out_dir / "assignments.csv")
    written["directory"] = _write_csv(directory_frame(people, window), out_dir / "directory.csv")
    examples = resource_dir("examples")
    for name, file in (("sla_policy", "sla.yaml"), ("audit_config", "audit.yaml")):
        written[name] = out_dir / file
        shutil.copyfile(examples / file, written[name])
    return written


def ensure_demo(state: Path, anchor: date, *, seed: int = 20261) -> Path:
    """Generate the demo into `state/demo/` unless it is already there for this anchor, seed and version.

    Returns the demo's `audit.yaml`. Generation goes to a sibling folder first and replaces the old one
    only when complete, so an interrupted run never leaves half a demo behind a valid stamp.
    """
    target = Path(state) / "demo"
    stamp = {"anchor": anchor.isoformat(), "seed": seed, "version": GENERATOR_VERSION}
    stamp_file = target / STAMP
    config = target / "audit.yaml"
    try:
        if json.loads(stamp_file.read_text(encoding="utf-8")) == stamp and config.is_file():
            return config
    except (OSError, ValueError):
        pass
    fresh = Path(state) / "demo.partial"
    shutil.rmtree(fresh, ignore_errors=True)
    generate(fresh, anchor=anchor, seed=seed)
    (fresh / STAMP).write_text(json.dumps(stamp, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
    return config
