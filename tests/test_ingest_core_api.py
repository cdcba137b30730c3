"""`ingest(...)` on small files written here: detection, refusals (file, row, column, expected), quarantine,
pseudonyms and the column policy, merging, the generic format and Zendesk from its documented columns."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from auditbridge.errors import ConfigError, DataError, UsageError
from auditbridge.pseudo import pseudonymise
from tasks.ingest.api import ingest

KEY = b"k"
GLPI_HEAD = (
    '\ufeff"ID";"Titre";"Statut";"Date d\'ouverture";"Priorité";"Demandeur - Demandeur";"Description";\n'
)


def glpi(tmp_path, rows: list[str], name="glpi.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes((GLPI_HEAD + "".join(r + "\n" for r in rows)).encode(encoding))
    return path


def run(path, **kw):
    kw.setdefault("pseudonym_key", KEY)
    kw.setdefault("timezone", "Europe/Paris")
    return ingest([str(path)], **kw)


def test_auto_detection_says_which_format_and_reads_a_column_subset(tmp_path):
    p = glpi(
        tmp_path,
        [
            '"1 002";"Imprimante";"En cours (Planifié)";"05-03-2026 09:15";"Très haute";"Léa Martin (12)";"Bonjour,\nmerci";'
        ],
    )
    r = run(p)
    assert r.format == "glpi" and "recognised as glpi" in r.notes[0]
    t = r.datasets["tickets"]
    # 05-03-2026 09:15 day-first (GLPI's default when no day is above 12) in Paris, CET = UTC+1
    assert t.loc[0, ["ticket_id", "status", "priority", "status_raw", "priority_raw"]].tolist() == [
        "1002",
        "open",
        "P1",
        "En cours (Planifié)",
        "Très haute",
    ]
    assert t.loc[0, "created_at"] == pd.Timestamp("2026-03-05T08:15:00Z")
    # the "(12)" id is ignored
    assert t.loc[0, "requester"] == pseudonymise(pd.Series(["Léa Martin"]), KEY)[0]
    assert (
        "Description" not in t.columns
        and not t.astype("string").apply(lambda c: c.str.contains("Léa")).any().any()
    )
    r2 = run(p.rename(tmp_path / "g.csv"), fmt="glpi")
    assert r2.format == "glpi"


def test_spanish_and_english_headers_and_windows_1252(tmp_path):
    es = tmp_path / "es.csv"
    es.write_bytes(
        '"ID";"Título";"Estado";"Fecha de Apertura";"Prioridad";"Asignado a - Técnico";\n'
        '"5";"x";"En espera";"2025-07-30 18:14";"Muy alta";"ANA";\n'.encode("cp1252")
    )
    t = run(es, timezone="America/Bogota").datasets["tickets"]
    assert t.loc[0, ["status", "priority"]].tolist() == ["pending", "P1"]
    assert t.loc[0, "created_at"] == pd.Timestamp("2025-07-30T23:14:00Z")  # Bogotá UTC-5
    assert t.loc[0, "assignee"].startswith("p_")


def test_not_an_export_empty_file_and_missing_columns_are_refused(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("Meeting notes\nnothing tabular here\n")
    with pytest.raises(DataError, match=r"notes\.txt, row 1: not a recognised export"):
        run(junk)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        run(empty)
    no_status = tmp_path / "nostatus.csv"
    no_status.write_text('"ID";"Titre";"Date d\'ouverture";\n"1";"a";"01-02-2026 10:00";\n')
    with pytest.raises(DataError) as err:
        run(no_status, fmt="glpi")
    assert (
        "nostatus.csv, row 1, column 'Statut / Status / Estado': missing the GLPI column for status"
        in str(err.value)
    )


def test_every_row_problem_is_reported_bounded_then_quarantine_keeps_the_rest(tmp_path):
    rows = [f'"{i}";"t";"Nouveau";"{(i % 28) + 1:02d}-02-2026 10:00";"Haute";"P";"";' for i in range(1, 301)]
    rows[9] = '"10";"t";"Nouveau";"31-02-2026 10:00";"Haute";"P";"";'  # row 11: impossible date
    rows[99] = '"100";"t";"Ouvert ?";"01-02-2026 10:00";"Haute";"P";"";'  # row 101: unknown status
    rows[199] = '"200";"t";"Nouveau";"01-02-2026 10:00";"Urgentissime";"P";"";'  # row 201: unknown priority
    rows[249] = '"";"t";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";'  # row 251: no id
    p = glpi(tmp_path, rows)
    with pytest.raises(DataError) as err:
        run(p)
    text = str(err.value)
    assert err.value.total == 4
    for expected in (
        "row 11, column 'Date d'ouverture': impossible date",
        "row 101, column 'Statut'",
        "unknown status in 1 row(s)",
        "row 201, column 'Priorité'",
        "Urgentissime",
        "row 251, column 'ID'",
    ):
        assert expected in text
    r = run(p, on_row_error="quarantine")
    assert len(r.datasets["tickets"]) == 296
    q = r.quarantined["tickets"]
    assert q["_row"].tolist() == [11, 101, 201, 251]
    assert q["_problem"].str.len().gt(0).all() and q["requester"].str.startswith("p_").all()
    assert r.total_problems == 4


def test_many_bad_rows_are_counted_past_the_bound(tmp_path):
    rows = [f'"{i}";"t";"Nouveau";"jamais";"Haute";"P";"";' for i in range(1, 121)]
    with pytest.raises(DataError) as err:
        run(glpi(tmp_path, rows))
    # 120 unreadable dates: 50 reported by the date reader, all 120 counted, the message says how many more
    assert err.value.total == 120 and "... and 70 more problem(s)" in str(err.value)


def test_duplicates_within_a_file_are_problems_and_across_files_the_last_wins(tmp_path):
    a = glpi(
        tmp_path,
        [
            '"1";"old";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";',
            '"2";"x";"Clos";"01-02-2026 10:00";"Haute";"P";"";',
        ],
        "a.csv",
    )
    b = glpi(tmp_path, ['"1";"new";"Résolu";"01-02-2026 10:00";"Haute";"P";"";'], "b.csv")
    r = ingest([str(a), str(b)], timezone="UTC", pseudonym_key=KEY)
    t = r.datasets["tickets"].set_index("ticket_id")
    assert t.loc["1", "status"] == "resolved" and t.loc["1", "title"] == "new" and len(t) == 2
    assert [f["rows"] for f in r.files] == [2, 1]
    dup = glpi(
        tmp_path,
        [
            '"1";"a";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";',
            '"1";"b";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";',
        ],
        "d.csv",
    )
    with pytest.raises(DataError, match=r"d\.csv, row 3, column 'ticket_id': ticket id already seen"):
        run(dup)


def test_same_person_same_pseudonym_across_formats_and_no_contact_data(tmp_path):
    g = glpi(tmp_path, ['"1";"t";"Nouveau";"01-02-2026 10:00";"Haute";"Emily Garcia (7)";"";'])
    fd = tmp_path / "fd.csv"
    fd.write_text(
        "Ticket ID,Subject,Description,Status,Priority,Created time,Full name,Email,Contact ID\n"
        '9,Help,"my mail is emily@acme.com",Open,Urgent,2026-02-01 10:00:00,Emily Garcia,emily@acme.com,emily@acme.com\n'
    )
    rg, rf = run(g), run(fd)
    assert rf.format == "freshdesk"
    assert rg.datasets["tickets"].loc[0, "requester"] == rf.datasets["tickets"].loc[0, "requester"]
    t = rf.datasets["tickets"]
    assert t.loc[0, "priority"] == "P1"
    assert not t.astype("string").apply(lambda c: c.str.contains("emily", case=False)).any().any()


def test_generic_canonical_usage_without_mapping_with_tool_fill(tmp_path):
    p = tmp_path / "usage.csv"
    p.write_text(
        "user,at,action,department,user_email,notes\n"
        "Alice,2026-07-01T09:30:00+02:00,login,Sales,alice@x.com,hello\n"
        "Bob,2026-07-01 10:00,view,,bob@x.com,\n"
    )
    r = run(p, fmt="generic", tool="crm")
    u = r.datasets["usage"]
    assert list(u.columns) == ["user", "at", "action", "department", "tool"]  # e-mails and free text dropped
    assert u["tool"].tolist() == ["crm", "crm"]
    # naive 10:00 in Paris in July (CEST) = 08:00 UTC; the offset one is kept as written
    assert u["at"].tolist() == [pd.Timestamp("2026-07-01T07:30:00Z"), pd.Timestamp("2026-07-01T08:00:00Z")]
    assert u["user"].str.startswith("p_").all()


def test_generic_jsonl_parquet_and_mapping(tmp_path):
    lines = tmp_path / "events.jsonl"
    lines.write_text(
        "\n".join(
            json.dumps(d)
            for d in [
                {"ticket_id": "A", "at": "2026-07-01T08:00:00Z", "status": "New"},
                {"ticket_id": "A", "at": "2026-07-02T08:00:00Z", "status": "solved"},
            ]
        )
        + "\n"
    )
    e = run(lines, fmt="generic").datasets["ticket_events"]
    assert e["status"].tolist() == ["new", "resolved"] and e["status_raw"].tolist() == ["New", "solved"]
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"Number": ["X1"], "Opened": ["01/07/2026 10:00"], "State": ["Fermé"]}).to_parquet(pq)
    mapping = {
        "kind": "tickets",
        "columns": {"ticket_id": "Number", "created_at": "Opened", "status": "State"},
        "values": {"status": {"Fermé": "closed"}},
        "date_format": "%d/%m/%Y %H:%M",
        "timezone": "Europe/Paris",
    }
    t = ingest([str(pq)], "generic", pseudonym_key=KEY, mapping=mapping).datasets["tickets"]
    assert t.loc[0, ["ticket_id", "status"]].tolist() == ["X1", "closed"]
    assert t.loc[0, "created_at"] == pd.Timestamp("2026-07-01T08:00:00Z")
    with pytest.raises(DataError, match=r"t\.parquet, row 1, column 'Opend'"):
        ingest(
            [str(pq)],
            "generic",
            pseudonym_key=KEY,
            timezone="UTC",
            mapping={**mapping, "columns": {**mapping["columns"], "created_at": "Opend"}},
        )
    with pytest.raises(ConfigError, match="colums: unknown key"):
        ingest([str(pq)], "generic", pseudonym_key=KEY, timezone="UTC", mapping={"colums": {}})


def test_mapping_file_and_value_maps_for_named_formats(tmp_path):
    p = glpi(tmp_path, ['"1";"t";"Validation";"01-02-2026 10:00";"Haute";"P";"";'])
    m = tmp_path / "m.yaml"
    m.write_text("values:\n  status:\n    Validation: pending\n")
    assert run(p, mapping=str(m)).datasets["tickets"].loc[0, "status"] == "pending"
    m.write_text("columns: {ticket_id: ID}\n")
    with pytest.raises(ConfigError, match="only the generic format takes a column mapping"):
        run(p, mapping=str(m))


def test_zendesk_csv_and_json_lines(tmp_path):
    csv = tmp_path / "zd.csv"
    csv.write_text(
        "Id,Requester,Requester id,Assignee,Group,Subject,Status,Priority,Ticket type,Created at,"
        "Solved at,First reply time in minutes\n"
        "17,Ann Lee,123,Bo Chan,Support,VPN down,Solved,Urgent,incident,2026-03-02 09:00,2026-03-02 11:30,45\n"
        "18,Ann Lee,123,,Support,Printer,Hold,Low,question,2026-03-02 10:00,,\n"
    )
    r = run(csv, timezone="Europe/Paris")
    t = r.datasets["tickets"]
    assert r.format == "zendesk"
    assert t["status"].tolist() == ["resolved", "pending"] and t["priority"].tolist() == ["P1", "P4"]
    # 09:00 Paris in March (CET, UTC+1) = 08:00 UTC; first reply 45 min later
    assert t.loc[0, "first_response_at"] == pd.Timestamp("2026-03-02T08:45:00Z")
    assert t.loc[0, "requester"] == t.loc[1, "requester"]
    js = tmp_path / "zd.json"
    js.write_text(
        "\n".join(
            json.dumps(d)
            for d in [
                {
                    "id": 5,
                    "created_at": "2026-03-02T08:00:00Z",
                    "status": "open",
                    "priority": None,
                    "requester_id": 9,
                    "assignee_id": None,
                    "group_id": 3,
                    "subject": "Mail",
                    "description": "from ann@x.com",
                    "type": "incident",
                    "via": {"channel": "email"},
                },
                {
                    "id": 6,
                    "created_at": "2026-03-03T08:00:00Z",
                    "status": "closed",
                    "priority": "high",
                    "requester_id": 9,
                    "assignee_id": 4,
                    "group_id": 3,
                    "subject": "VPN",
                    "description": "",
                    "type": None,
                    "via": {"channel": "web"},
                    "metric_set": {"solved_at": "2026-03-03T09:00:00Z"},
                },
            ]
        )
        + "\n"
    )
    r = ingest([str(js)], pseudonym_key=KEY)  # JSON times are UTC: no --timezone needed
    t = r.datasets["tickets"]
    assert r.format == "zendesk" and t["ticket_id"].tolist() == ["5", "6"]
    assert t["priority"].isna().tolist() == [True, False] and t.loc[1, "priority"] == "P2"
    assert t["source"].tolist() == ["email", "web"] and t.loc[1, "resolved_at"] == pd.Timestamp(
        "2026-03-03T09:00:00Z"
    )
    assert "description" not in t.columns


def test_globs_folders_and_usage_errors(tmp_path):
    glpi(tmp_path, ['"1";"t";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";'], "x1.csv")
    glpi(tmp_path, ['"2";"t";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";'], "x2.csv")
    assert len(ingest([str(tmp_path / "x*.csv")], timezone="UTC", pseudonym_key=KEY).datasets["tickets"]) == 2
    assert len(ingest([str(tmp_path)], timezone="UTC", pseudonym_key=KEY).files) == 2
    with pytest.raises(UsageError, match="no file matches"):
        ingest([str(tmp_path / "nothing*.csv")], pseudonym_key=KEY)
    with pytest.raises(UsageError, match="unknown format 'glp'"):
        ingest([str(tmp_path)], "glp", pseudonym_key=KEY)
    with pytest.raises(UsageError, match="unknown timezone 'Paris'"):
        ingest([str(tmp_path)], timezone="Paris", pseudonym_key=KEY)


@pytest.mark.integration
def test_s3_prefix_is_listed_page_by_page_and_read(publisher_client, store_info, s3_prefix, tmp_path):
    from tasks.ingest.sources import s3_keys

    body = GLPI_HEAD + '"{i}";"t";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";\n'
    for i in range(5):
        publisher_client.put_object(
            Bucket=store_info.bucket, Key=f"{s3_prefix}/exports/g{i}.csv", Body=body.format(i=i).encode()
        )
    keys = s3_keys(publisher_client, store_info.bucket, f"{s3_prefix}/exports/", page_size=2)  # 3 pages
    assert keys == [f"{s3_prefix}/exports/g{i}.csv" for i in range(5)]
    r = ingest(
        [f"s3://{store_info.bucket}/{s3_prefix}/exports/"],
        timezone="UTC",
        pseudonym_key=KEY,
        s3_client=publisher_client,
    )
    assert sorted(r.datasets["tickets"]["ticket_id"]) == ["0", "1", "2", "3", "4"]
    assert r.files[0]["path"] == f"s3://{store_info.bucket}/{s3_prefix}/exports/g0.csv"
    with pytest.raises(UsageError, match="no object under this prefix"):
        ingest([f"s3://{store_info.bucket}/{s3_prefix}/none/"], pseudonym_key=KEY, s3_client=publisher_client)


def test_jira_custom_status_falls_back_to_its_category_and_repeated_columns_merge(tmp_path):
    p = tmp_path / "jira.csv"
    p.write_text(
        "Summary,Issue key,Issue id,Status,Status Category,Priority,Created,Reporter,"
        "Custom field (Department),Custom field (Department)\n"
        "a,OPS-1,1,Awaiting QA,In Progress,Highest,25/Feb/26 10:17 PM,Ann,,Finance\n"
        "b,OPS-2,2,Parked,,Lowest,25/Feb/26 9:05 AM,Ann,HR,\n"
    )
    with pytest.raises(DataError, match=r"jira\.csv, row 3, column 'Status': unknown status.*'Parked'"):
        run(p, timezone="UTC")
    r = run(p, timezone="UTC", on_row_error="quarantine")
    t = r.datasets["tickets"]
    assert t.loc[0, ["status", "status_raw", "priority", "department"]].tolist() == [
        "open",
        "Awaiting QA",
        "P1",
        "Finance",
    ]
    assert r.quarantined["tickets"]["department"].tolist() == ["HR"]


@pytest.mark.parametrize(
    ("status", "priority", "expected"),
    [
        ("Nouveau", "Très basse", ("new", "P5")),
        ("En cours (Attribué)", "Basse", ("open", "P4")),
        ("En attente", "Moyenne", ("pending", "P3")),
        ("Résolu", "Haute", ("resolved", "P2")),
        ("Clos", "Majeure", ("closed", "P1")),
        ("Processing (planned)", "Very high", ("open", "P1")),
        ("Solved", "Low", ("resolved", "P4")),
        ("Cerrado", "Mediana", ("closed", "P3")),
    ],
)
def test_glpi_status_and_priority_maps(tmp_path, status, priority, expected):
    p = glpi(tmp_path, [f'"1";"t";"{status}";"01-02-2026 10:00";"{priority}";"P";"";'])
    t = run(p).datasets["tickets"]
    assert (t.loc[0, "status"], t.loc[0, "priority"]) == expected
    assert (t.loc[0, "status_raw"], t.loc[0, "priority_raw"]) == (status, priority)


def test_generic_numbers_and_calendar_dates(tmp_path):
    ev = tmp_path / "ev.csv"
    ev.write_text(
        "ticket_id,at,status,seq\nA,2026-07-01T08:00:00Z,new,1\nA,2026-07-01T09:00:00Z,open,deux\n"
        "A,2026-07-01T10:00:00Z,closed,2.5\n"
    )
    with pytest.raises(DataError) as err:
        run(ev)
    assert str(err.value).splitlines() == [
        f"{ev}, row 3, column 'seq': expected a whole number (found 'deux')",
        f"{ev}, row 4, column 'seq': expected a whole number (found '2.5')",
    ]
    d = tmp_path / "dir.csv"
    d.write_text("user,department,active,start_date\nAnn,Sales,true,15/03/2025\nBo,HR,false,01/02/2024\n")
    directory = run(d).datasets["directory"]
    # 15/03/2025 makes the file day-first, so 01/02/2024 is 1 February
    assert directory["start_date"].tolist() == [pd.Timestamp("2025-03-15"), pd.Timestamp("2024-02-01")]
    assert directory["active"].tolist() == [True, False]


def test_zendesk_explore_report_with_two_digit_years(tmp_path):
    p = tmp_path / "explore.csv"
    p.write_text(
        "ID,Status,Priority,Via,Ticket type,Created at,Updated at,Solved at,Assignee,Group\n"
        "301,Open,Normal,Mail,incident,03/14/26 09:30,03/14/26 10:00,,Bo Chan,Desk\n"
        "302,Closed,High,Web form,question,03/02/26 16:00,03/03/26 08:00,03/03/26 08:00,Bo Chan,Desk\n"
    )
    r = run(p, timezone="America/New_York")
    t = r.datasets["tickets"]
    assert r.format == "zendesk"
    # 03/14/26 is month-first (14 cannot be a month); New York: EDT (UTC-4) from 8 March 2026, EST (UTC-5) before
    assert t["created_at"].tolist() == [
        pd.Timestamp("2026-03-14T13:30:00Z"),
        pd.Timestamp("2026-03-02T21:00:00Z"),
    ]
    assert t["status"].tolist() == ["open", "closed"] and t["priority"].tolist() == ["P3", "P2"]


def test_a_value_map_to_a_non_canonical_status_is_a_config_error(tmp_path):
    p = glpi(tmp_path, ['"1";"t";"Validation";"01-02-2026 10:00";"Haute";"P";"";'])
    with pytest.raises(ConfigError, match=r"values\.status\.Validation: 'waiting' is not one of new, open"):
        run(p, mapping={"values": {"status": {"Validation": "waiting"}}})


def test_addresses_quoted_in_titles_are_masked(tmp_path):
    p = glpi(
        tmp_path,
        ['"1";"Accès pour jean.dupont@acme.fr et a-b@x.co.uk";"Nouveau";"01-02-2026 10:00";"Haute";"P";"";'],
    )
    assert run(p).datasets["tickets"].loc[0, "title"] == "Accès pour [e-mail] et [e-mail]"


def test_reading_our_own_output_again_keeps_the_pseudonyms(tmp_path):
    from auditbridge.datasets import write_canonical

    p = glpi(tmp_path, ['"1";"t";"Nouveau";"01-02-2026 10:00";"Haute";"Ann Lee (3)";"";'])
    first = run(p).datasets["tickets"]
    out = write_canonical(first, tmp_path / "canonical.csv")
    again = run(out, fmt="generic").datasets["tickets"]
    assert (
        again.loc[0, "requester"] == first.loc[0, "requester"] == pseudonymise(pd.Series(["Ann Lee"]), KEY)[0]
    )
    assert again.loc[0, "created_at"] == first.loc[0, "created_at"]


def test_every_missing_required_column_is_named_at_once(tmp_path):
    """A Jira export without Status nor Created: both are named, each with the headers that would do."""
    from auditbridge.errors import DataError
    from tasks.ingest.api import ingest

    path = tmp_path / "jira.csv"
    path.write_text("Summary,Issue key,Issue id\nPrinter down,IT-1,10001\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        ingest([str(path)], "jira", pseudonym_key=b"k")
    problems = exc.value.problems
    assert [p.message.split(":")[0] for p in problems] == [
        "missing the Jira column for status",
        "missing the Jira column for created_at",
    ]
    assert all(p.row == 1 and p.file == str(path) for p in problems)
