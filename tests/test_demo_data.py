"""The demo company: deterministic files that tell DOMAIN.md's story, in the formats real tools write.

The story's figures are checked with pandas on the generated files, against numbers worked out from the
story (not from the code's output): e.g. 12 salespeople on the CRM before the training, 36 after it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditbridge import demo_data
from auditbridge.config import load_config
from auditbridge.datasets import read_canonical
from auditbridge.demo_data import OfficeClock, ensure_demo, french_duration, generate

ANCHOR = date(2026, 11, 27)  # a Friday; last complete quarter 2026-Q3, so the data starts on 2025-10-01
TZ = "Europe/Paris"
GLPI_STATUSES = {"Nouveau", "En cours (Attribué)", "En cours (Planifié)", "En attente", "Résolu", "Clos"}
GLPI_PRIORITIES = {"", "Très basse", "Basse", "Moyenne", "Haute", "Très haute"}
SAMPLE_HEADER = [
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


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    return generate(tmp_path_factory.mktemp("demo"), anchor=ANCHOR)


@pytest.fixture(scope="module")
def glpi(demo) -> pd.DataFrame:
    df = pd.read_csv(demo["tickets"], sep=";", dtype="string", keep_default_na=False, encoding="utf-8-sig")
    return df.drop(columns=[c for c in df.columns if c.startswith("Unnamed")])


@pytest.fixture(scope="module")
def events(demo) -> pd.DataFrame:
    return read_canonical(demo["ticket_events"], "ticket_events")


def _quarter_users(usage: pd.DataFrame, department: str) -> pd.Series:
    local = usage["at"].dt.tz_convert(TZ).dt.tz_localize(None)
    rows = usage[usage["department"] == department].assign(q=local.dt.to_period("Q").astype("string"))
    return rows.groupby("q")["user"].nunique()


# ----------------------------------------------------------------------------------------- determinism


def test_same_anchor_and_seed_give_the_same_bytes_and_another_seed_does_not(demo, tmp_path):
    again = generate(tmp_path / "again", anchor=ANCHOR)
    assert sorted(again) == sorted(demo)
    for name, path in demo.items():
        assert again[name].read_bytes() == path.read_bytes(), name
    other = demo_data.make_people(demo_data.window_for(ANCHOR), seed=7)
    assert (
        other["email"].tolist()
        != demo_data.make_people(demo_data.window_for(ANCHOR), seed=20261)["email"].tolist()
    )


def test_the_files_are_where_the_example_config_expects_them(demo):
    root = demo["audit_config"].parent
    expected = {
        "tickets_glpi.csv",
        "ticket_events.csv",
        "licences.csv",
        "assignments.csv",
        "directory.csv",
        "sla.yaml",
        "audit.yaml",
        *(f"usage/{t}.csv" for t in ("crm", "m365", "erp", "helpdesk", "hr", "bi")),
    }
    assert {str(p.relative_to(root)) for p in demo.values()} == expected
    assert all(p.stat().st_size > 0 for p in demo.values())


# ------------------------------------------------------------------------------------ the GLPI dialect

_QUOTED_LINE = re.compile(r'^(?:"(?:[^"]|"")*";)+$')


def _dialect(raw: bytes, lines: int = 400) -> dict:
    """What GLPI's export looks like, measured on the first `lines` lines of a file."""
    text = raw[3:].decode("utf-8")
    rows = text.split("\n")[:lines]
    return {
        "bom": raw[:3] == b"\xef\xbb\xbf",
        "crlf": "\r" in text,
        "newline_at_end": text.endswith("\n"),
        "all_quoted_with_trailing_semicolon": all(_QUOTED_LINE.match(r) for r in rows if r),
        "fields_per_line": {r.count('";"') + 1 for r in rows if r},
    }


def test_glpi_file_is_in_glpis_dialect(demo, glpi):
    found = _dialect(demo["tickets"].read_bytes(), lines=10**6)
    assert found["bom"] and found["newline_at_end"] and not found["crlf"]
    assert found["all_quoted_with_trailing_semicolon"]
    assert found["fields_per_line"] == {17}  # the 15 columns of the real export + requester group + TTO
    assert glpi.columns.tolist() == SAMPLE_HEADER + [
        "Demandeur - Groupe demandeur",
        "Statistiques - Délai de prise en compte",
    ]


@pytest.mark.samples
def test_glpi_file_matches_the_real_french_export(demo, samples):
    real = (samples / "glpi" / "glpi_prosuma_fr.csv").read_bytes()
    ours = demo["tickets"].read_bytes()
    theirs, mine = _dialect(real), _dialect(ours)
    assert theirs["fields_per_line"] == {15} and mine["fields_per_line"] == {17}
    for key in ("bom", "crlf", "newline_at_end", "all_quoted_with_trailing_semicolon"):
        assert mine[key] == theirs[key], key
    real_header = real[3:].split(b"\n", 1)[0].decode("utf-8")
    our_header = ours[3:].split(b"\n", 1)[0].decode("utf-8")
    assert our_header.startswith(real_header[:-1])  # same 15 headers, same spelling, in the same order
    sample = pd.read_csv(
        samples / "glpi" / "glpi_prosuma_fr.csv",
        sep=";",
        dtype="string",
        keep_default_na=False,
        encoding="utf-8-sig",
        nrows=300,
    )
    date_re = r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$"
    assert sample["Date d'ouverture"].str.match(date_re).all()
    assert sample["ID"].str.match(r"^\d{2} \d{3}$").all()


def test_glpi_cells_look_like_glpis(glpi):
    assert glpi["ID"].str.match(r"^\d{2} \d{3}$").all()  # "41 000": thousands separated by a space
    for col in ("Date d'ouverture", "Dernière modification"):
        assert glpi[col].str.match(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$").all(), col
    for col in ("Date de clôture", "Date de résolution"):
        assert glpi[col].str.match(r"^(\d{2}-\d{2}-\d{4} \d{2}:\d{2})?$").all(), col
    assert set(glpi["Statut"]) <= GLPI_STATUSES and {"Clos", "Résolu"} <= set(glpi["Statut"])
    assert set(glpi["Priorité"]) == GLPI_PRIORITIES
    person = r"[^()<>]+ \(\d+\)"
    assert glpi["Demandeur - Demandeur"].str.match(rf"^{person}( <br>{person})?$").all()
    assert glpi["Attribué à - Technicien"].str.match(rf"^({person}( <br>{person})?)?$").all()
    assert glpi["Attribué à - Technicien"].str.contains(" <br>").sum() > 50  # sometimes two technicians
    prose = r"^(\d+ jours \d+ heures \d+ minutes|\d+ heures \d+ minutes|1 minute|\d+ minutes|[01] seconde|\d+ secondes)$"
    for col in ("Statistiques - Délai de résolution", "Statistiques - Délai de prise en compte"):
        assert glpi[col].str.match(prose).all(), col
    assert glpi["Statistiques - Délai de résolution"].str.contains("jours").any()
    # still-open tickets have no resolution date and GLPI's "0 seconde"
    open_ = ~glpi["Statut"].isin(["Résolu", "Clos"])
    assert open_.any()
    assert (glpi.loc[open_, "Date de résolution"] == "").all()
    assert (glpi.loc[open_, "Statistiques - Délai de résolution"] == "0 seconde").all()
    assert (glpi.loc[glpi["Statut"] == "Clos", "Date de clôture"] != "").all()


def test_french_durations_are_written_as_glpi_writes_them():
    # 97037 s = 1 day (86400) + 2 h (7200) + 57 min (3420) + 17 s: GLPI drops the seconds past a minute
    seconds = pd.Series([0, 1, 41, 60, 61 * 60, 3600, 97037, 2 * 86400 + 6 * 3600 + 35 * 60])
    assert french_duration(seconds).tolist() == [
        "0 seconde",
        "1 seconde",
        "41 secondes",
        "1 minute",
        "1 heures 1 minutes",
        "1 heures 0 minutes",
        "1 jours 2 heures 57 minutes",
        "2 jours 6 heures 35 minutes",
    ]


def test_office_clock_skips_lunch_evenings_weekends_and_holidays():
    clock = OfficeClock(demo_data._office_minutes(date(2026, 7, 1), date(2026, 8, 1)))

    def at(text: str) -> int:
        return int(pd.Timestamp(text).tz_localize(TZ).timestamp())

    # Mon 13 July 12:00 + 1 h: 30 min to the 12:30 lunch, then 13:30 + 30 min = 14:00
    assert clock.advance(np.array([at("2026-07-13 12:00")]), np.array([3600]))[0] == at("2026-07-13 14:00")
    # Fri 10 July 16:30 + 2 h: Friday closes at 17:00 (30 min), then Monday 13 July 09:00 + 90 min = 10:30
    assert clock.advance(np.array([at("2026-07-10 16:30")]), np.array([7200]))[0] == at("2026-07-13 10:30")
    # Mon 13 July 17:00 + 2 h: 1 h to 18:00, Tuesday 14 July is Bastille Day, so Wednesday 15 July 10:00
    assert clock.advance(np.array([at("2026-07-13 17:00")]), np.array([7200]))[0] == at("2026-07-15 10:00")
    # Saturday counts nothing: from Sat 11 July 10:00 to Mon 13 July 09:15 is 15 office minutes
    assert clock.between(np.array([at("2026-07-11 10:00")]), np.array([at("2026-07-13 09:15")]))[0] == 900


# ------------------------------------------------------------------------------------------ the story


def test_about_a_third_of_tickets_carry_no_priority(glpi):
    share = (glpi["Priorité"] == "").mean()
    assert 0.28 < share < 0.38


def test_tickets_cover_the_four_quarters_and_a_bit_of_the_current_one(glpi):
    opened = pd.to_datetime(glpi["Date d'ouverture"], format="%d-%m-%Y %H:%M")
    assert opened.min() >= pd.Timestamp("2025-10-01") and opened.min() < pd.Timestamp("2025-10-03")
    assert opened.max() < pd.Timestamp("2026-11-27") and opened.max() > pd.Timestamp("2026-11-20")
    per_quarter = opened.dt.to_period("Q").value_counts()
    assert set(per_quarter.index.astype(str)) == {"2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"}
    assert (per_quarter[["2025Q4", "2026Q1", "2026Q2", "2026Q3"]] > 500).all()


def test_tickets_arrive_in_office_hours(glpi):
    opened = pd.to_datetime(glpi["Date d'ouverture"], format="%d-%m-%Y %H:%M")
    minute = opened.dt.hour * 60 + opened.dt.minute
    office = (opened.dt.day_of_week < 5) & (minute >= 9 * 60) & (minute < 18 * 60)
    assert office.mean() > 0.95
    assert (~office).sum() > 20  # a few on-call incidents arrive at night or on weekends
    by_hour = opened[office].dt.hour.value_counts()
    assert by_hour.get(12, 0) < by_hour[10] / 2  # the 12:30-13:30 lunch break is closed


def test_resolution_times_are_heavy_tailed(events):
    opened = events[events["status"] == "new"].groupby("ticket_id")["at"].min()
    solved = events[events["status"] == "resolved"].groupby("ticket_id")["at"].max()
    hours = (solved - opened.reindex(solved.index)).dt.total_seconds() / 3600
    median, p90, p99 = hours.median(), hours.quantile(0.9), hours.quantile(0.99)
    assert 4 < median < 72
    # heavier than exponential, whose p99/median = ln 100 / ln 2 = 6.6 and mean/median = 1 / ln 2 = 1.44
    assert p90 / median > 3 and p99 / median > 10
    assert hours.mean() > 1.5 * median


def test_events_tell_the_same_story_as_the_export(glpi, events):
    ids = glpi["ID"].str.replace(" ", "", regex=False)
    assert set(events["ticket_id"]) == set(ids)
    ordered = events.sort_values(["ticket_id", "seq"])
    last = ordered.groupby("ticket_id").tail(1).set_index("ticket_id")["status_raw"]
    assert (last.reindex(ids).to_numpy() == glpi["Statut"].to_numpy()).all()
    first = ordered.groupby("ticket_id").head(1).set_index("ticket_id")["at"]
    first_local = first.dt.tz_convert(TZ).dt.strftime("%d-%m-%Y %H:%M").reindex(ids)
    assert (first_local.to_numpy() == glpi["Date d'ouverture"].to_numpy()).all()
    solved = ordered[ordered["status_raw"] == "Résolu"].groupby("ticket_id")["at"].max()
    solved_local = solved.dt.tz_convert(TZ).dt.strftime("%d-%m-%Y %H:%M").reindex(ids).fillna("")
    done = glpi["Statut"].isin(["Résolu", "Clos"]).to_numpy()
    assert (solved_local.to_numpy()[done] == glpi["Date de résolution"].to_numpy()[done]).all()
    assert events["at"].max() < pd.Timestamp(ANCHOR, tz=TZ)  # nothing after the export instant
    for col in ("Dernière modification", "Date de résolution", "Date de clôture"):
        stamped = pd.to_datetime(glpi[col].replace("", pd.NA), format="%d-%m-%Y %H:%M")
        assert (stamped.dropna() < pd.Timestamp(ANCHOR)).all(), col
    assert (ordered.groupby("ticket_id")["at"].diff().dropna() >= pd.Timedelta(0)).all()
    assert (ordered.groupby("ticket_id")["seq"].diff().dropna() == 1).all()
    mapping = {
        "Nouveau": "new",
        "En cours (Attribué)": "open",
        "En cours (Planifié)": "open",
        "En attente": "pending",
        "Résolu": "resolved",
        "Clos": "closed",
    }
    assert (events["status_raw"].map(mapping) == events["status"]).all()


def test_some_tickets_wait_for_the_requester_and_some_are_reopened(events):
    ordered = events.sort_values(["ticket_id", "seq"])
    nxt = ordered.groupby("ticket_id")["status_raw"].shift(-1)
    waited = (
        ordered.loc[ordered["status_raw"] == "En attente", "ticket_id"].nunique()
        / ordered["ticket_id"].nunique()
    )
    assert 0.15 < waited < 0.35
    after_wait = nxt[ordered["status_raw"] == "En attente"]
    assert set(after_wait.dropna()) == {"En cours (Attribué)"}  # the requester answers, work resumes
    reopened = ordered.loc[
        (ordered["status_raw"] == "Résolu") & (nxt == "En cours (Attribué)"), "ticket_id"
    ].nunique()
    assert 0.02 < reopened / ordered["ticket_id"].nunique() < 0.12


def test_crm_adoption_by_sales_triples_after_the_training(demo):
    crm = read_canonical(demo["usage_crm"], "usage")
    users = _quarter_users(crm, "Ventes")
    # the story: 12 salespeople use the CRM until the training that opens 2026-Q3, then 12 + 24 = 36
    assert users[["2025Q4", "2026Q1", "2026Q2"]].tolist() == [12, 12, 12]
    assert users["2026Q3"] == 36
    local = crm["at"].dt.tz_convert(TZ).dt.tz_localize(None).dt.to_period("Q").astype("string")
    rows = crm[crm["department"] == "Ventes"].groupby(local)["user"].size()
    assert rows["2026Q3"] > 2 * rows["2026Q2"]
    assert set(crm["department"]) == {"Ventes", "Marketing", "Direction"}


def test_the_story_follows_the_anchor_across_a_year_end(tmp_path):
    # run on 1 January 2027: the complete quarters are 2026-Q1..Q4, the training opens 2026-Q4, no partial quarter
    files = generate(tmp_path, anchor=date(2027, 1, 1))
    crm = read_canonical(files["usage_crm"], "usage")
    assert _quarter_users(crm, "Ventes").to_dict() == {"2026Q1": 12, "2026Q2": 12, "2026Q3": 12, "2026Q4": 36}
    opened = pd.read_csv(files["tickets"], sep=";", dtype="string", encoding="utf-8-sig")["Date d'ouverture"]
    opened = pd.to_datetime(opened, format="%d-%m-%Y %H:%M")
    assert opened.min() >= pd.Timestamp("2026-01-01") and opened.max() < pd.Timestamp("2027-01-01")


def test_m365_is_used_by_everyone_on_working_days(demo):
    m365 = read_canonical(demo["usage_m365"], "usage")
    local = m365["at"].dt.tz_convert(TZ)
    q3 = m365[(local >= pd.Timestamp("2026-07-01", tz=TZ)) & (local < pd.Timestamp("2026-10-01", tz=TZ))]
    assert q3["user"].nunique() > 280
    assert (local.dt.day_of_week >= 5).mean() < 0.03
    assert ((local.dt.hour >= 8) & (local.dt.hour < 18)).mean() > 0.99
    assert m365["department"].isna().all()  # concealed, as in Microsoft's reports: the directory has it


def test_usage_logs_are_canonical_and_small_enough_for_a_quick_demo(demo):
    total = 0
    for tool in ("crm", "m365", "erp", "helpdesk", "hr", "bi"):
        usage = read_canonical(demo[f"usage_{tool}"], "usage")
        assert set(usage["tool"]) == {tool}
        assert usage["user"].str.fullmatch(r"[a-z-]+\.[a-z-]+@demo-industries\.fr").all()
        assert usage["at"].notna().all() and (usage["count"] >= 1).all()
        total += len(usage)
    assert 30_000 < total < 300_000


def test_directory_has_eight_departments_one_of_them_tiny_and_people_come_and_go(demo):
    d = read_canonical(demo["directory"], "directory")
    sizes = d.groupby("department").size()
    assert set(sizes.index) == {
        "Direction",
        "Ventes",
        "Marketing",
        "Finance",
        "Achats",
        "RH",
        "Production",
        "IT",
    }
    assert sizes["Direction"] == 4  # under the default minimum group size of 5: merged into "other"
    assert 280 <= len(d) <= 320 and d["user"].is_unique
    leavers = d[d["end_date"].notna()]
    assert len(leavers) >= 5 and not leavers["active"].any() and d.loc[d["end_date"].isna(), "active"].all()
    assert (d["start_date"] >= pd.Timestamp("2025-10-01")).sum() >= 10  # joiners during the window


def test_licences_and_seats_leave_shelfware_and_two_zombie_mailboxes(demo):
    lic = read_canonical(demo["licences"], "licences").set_index("tool")
    assert lic.loc["crm", ["seats", "cost_per_seat_month"]].tolist() == [80, 65]
    assert lic.loc["m365", ["seats", "cost_per_seat_month"]].tolist() == [320, 12.5]
    assert lic.loc["erp", ["seats", "cost_per_seat_month"]].tolist() == [40, 95]
    assert set(lic["currency"]) == {"EUR"} and len(lic) == 6
    seats = read_canonical(demo["assignments"], "assignments")
    held = seats[seats["unassigned_at"].isna()].groupby("tool").size()
    assert (held <= lic["seats"].reindex(held.index)).all()
    assert (lic.loc["crm", "seats"] - held["crm"]) >= 5  # CRM seats bought and never handed out
    directory = read_canonical(demo["directory"], "directory")
    gone = set(directory.loc[directory["end_date"].notna(), "user"])
    zombies = seats[(seats["tool"] == "m365") & seats["unassigned_at"].isna() & seats["user"].isin(gone)]
    assert len(zombies) == 2
    m365 = read_canonical(demo["usage_m365"], "usage")
    ends = directory.set_index("user")["end_date"]
    theirs = m365[m365["user"].isin(zombies["user"])]
    after = theirs["at"].dt.tz_convert(TZ).dt.tz_localize(None) >= theirs["user"].map(ends)
    assert after.any() and set(theirs.loc[after, "action"]) == {"mail_receive"}


# --------------------------------------------------------------------------------- configuration files


def test_generated_audit_yaml_is_accepted_and_points_at_the_data(demo):
    config = load_config(demo["audit_config"])
    assert config.name == "demo-company" and config.pseudonymisation.demo_key is True
    assert config.sources.tickets[0].format == "glpi" and config.sources.tickets[0].timezone == TZ
    assert Path(config.resolve(config.sources.tickets[0].path)) == demo["tickets"].resolve()
    assert Path(config.resolve(config.sources.ticket_events[0].path)) == demo["ticket_events"].resolve()
    usage = sorted(Path(p) for p in Path("/").glob(config.resolve(config.sources.usage[0].path).lstrip("/")))
    assert [p.stem for p in usage] == ["bi", "crm", "erp", "helpdesk", "hr", "m365"]
    for source in (config.sources.licences, config.sources.assignments, config.sources.directory):
        assert Path(config.resolve(source.path)).is_file()
    assert Path(config.resolve(config.sla_policy)).is_file()
    assert config.adoption.activity["m365"].exclude_actions == ["mail_receive"]


def test_example_files_in_the_repository_load():
    from auditbridge.home import resource_dir

    config = load_config(resource_dir("examples") / "audit.yaml")
    assert config.languages == ["fr", "en"] and config.sla_policy == "sla.yaml"
    import yaml

    policy = yaml.safe_load((resource_dir("examples") / "sla.yaml").read_text(encoding="utf-8"))
    assert policy["timezone"] == TZ and policy["calendars"]["always"] == "24x7"
    assert policy["goals"][0]["match"] == {"priority": "P1"} and policy["goals"][-1]["match"] == {}


def test_example_sla_policy_is_accepted_by_the_sla_engine():
    pytest.importorskip("tasks.sla.policy")
    from auditbridge.home import resource_dir
    from tasks.sla.policy import load_policy

    policy = load_policy(resource_dir("examples") / "sla.yaml")
    goals = {g.name: g for g in policy.goals}
    assert list(goals) == ["critical", "high", "default"] and policy.pause == ("pending",)
    # 30m = 1800 s and 4h = 14400 s on the 24x7 clock; 3d on office time = 72 office hours = 259200 s
    assert (goals["critical"].first_response_s, goals["critical"].resolution_s) == (1800, 14400)
    assert goals["default"].resolution_s == 259_200 and goals["default"].calendar == "office"


def test_ensure_demo_generates_once_per_anchor(tmp_path, monkeypatch):
    config = ensure_demo(tmp_path, ANCHOR)
    assert config == tmp_path / "demo" / "audit.yaml" and config.is_file()
    assert (tmp_path / "demo" / "usage" / "crm.csv").is_file() and not (tmp_path / "demo.partial").exists()

    calls = []

    def fake_generate(out_dir, *, anchor, seed):
        calls.append(anchor)
        Path(out_dir).mkdir(parents=True)
        (Path(out_dir) / "audit.yaml").write_text("name: x\n", encoding="utf-8")

    monkeypatch.setattr(demo_data, "generate", fake_generate)
    assert ensure_demo(tmp_path, ANCHOR) == config and calls == []  # fresh: nothing regenerated
    ensure_demo(tmp_path, date(2027, 1, 5))  # another day of the demo: stale, regenerated
    assert calls == [date(2027, 1, 5)]
    assert '"anchor": "2027-01-05"' in (tmp_path / "demo" / demo_data.STAMP).read_text(encoding="utf-8")


# ------------------------------------------------------------------------- through the real importers


def test_demo_files_go_through_the_real_importers(demo, glpi, events):
    pytest.importorskip("tasks.ingest.formats.glpi")
    from tasks.ingest.api import ingest

    key = b"demo-test-key"
    tickets = ingest([str(demo["tickets"])], fmt="auto", timezone=TZ, pseudonym_key=key)
    assert tickets.format == "glpi" and not tickets.problems
    t = tickets.datasets["tickets"].set_index("ticket_id")
    # one row per line of the file but the header
    assert len(t) == len(glpi) == demo["tickets"].read_bytes().count(b"\n") - 1
    glpi_status = {
        "Nouveau": "new",
        "En cours (Attribué)": "open",
        "En cours (Planifié)": "open",
        "En attente": "pending",
        "Résolu": "resolved",
        "Clos": "closed",
    }
    assert t["status"].value_counts().to_dict() == glpi["Statut"].map(glpi_status).value_counts().to_dict()
    assert t["priority"].isna().sum() == (glpi["Priorité"] == "").sum()
    assert t["department"].notna().all() and set(t["department"]) == set(glpi["Demandeur - Groupe demandeur"])
    assert t["requester"].str.startswith("p_").all()  # pseudonymised at ingestion: no name survives
    # the first response the importer rebuilds (opening + GLPI's delay, both cut to the minute) is the
    # first "open" event of the history within two minutes
    first_open = events[events["status"] == "open"].groupby("ticket_id")["at"].min()
    gap = (t["first_response_at"].reindex(first_open.index) - first_open).abs()
    assert gap.max() <= pd.Timedelta(minutes=2)

    history = ingest([str(demo["ticket_events"])], fmt="generic", kind="ticket_events", pseudonym_key=key)
    assert len(history.datasets["ticket_events"]) == len(events)
    usage = ingest([str(demo["audit_config"].parent / "usage" / "*.csv")], fmt="generic", pseudonym_key=key)
    lines = sum(
        demo[f"usage_{t}"].read_bytes().count(b"\n") - 1
        for t in ("crm", "m365", "erp", "helpdesk", "hr", "bi")
    )
    assert len(usage.datasets["usage"]) == lines
    assert usage.datasets["usage"]["user"].str.startswith("p_").all()
