"""`geo-enroll cohort synth`, `place`, and the registered lottery/classes commands."""

from geo_enroll.cli import build_parser, main
from geo_enroll.settings import data_dir


def test_all_placement_subcommands_are_registered():
    parser = build_parser()
    for argv in (
        ["cohort", "synth", "--policy", "x", "--seed", "1", "-o", "y"],
        ["place", "--policy", "x", "--students", "s", "--seed", "1", "-o", "o"],
        ["lottery", "publish", "--applicants", "a", "--seats", "s"],
        ["lottery", "draw", "--applicants", "a", "--seats", "s", "--numbers", "1", "2", "-o", "o"],
        ["lottery", "verify", "d"],
        ["lottery", "simulate", "--applicants", "a", "--seats", "s", "--seed", "1", "-o", "o"],
        ["classes", "--placements", "p", "--seed", "1", "-o", "c.csv"],
    ):
        args = parser.parse_args(argv)
        assert callable(args.func)


def test_cohort_synth_then_place_end_to_end(tmp_path, capsys, taipusi_spec):
    policy = data_dir() / "boundaries" / "taipusi_2024.toml"
    zones = data_dir() / "boundaries" / "taipusi_2024_zones.gpkg"
    students = tmp_path / "students.csv"
    assert (
        main(
            [
                "cohort",
                "synth",
                "--policy",
                str(policy),
                "--seed",
                "7",
                "-o",
                str(students),
                "--primary",
                "60",
                "--middle",
                "40",
            ]
        )
        == 0
    )
    out = tmp_path / "out"
    argv = [
        "place",
        "--policy",
        str(policy),
        "--students",
        str(students),
        "--seed",
        "7",
        "-o",
        str(out),
    ]
    if zones.exists():
        argv += ["--zones", str(zones)]
    assert main(argv) == 0
    assert {"placements.csv", "schools.csv", "placements.gpkg", "run.json"} <= {
        p.name for p in out.iterdir()
    }
    text = capsys.readouterr()
    assert "测试0001" not in text.out + text.err  # names never printed


def test_place_user_errors_exit_2(tmp_path, capsys, taipusi_spec):
    policy = data_dir() / "boundaries" / "taipusi_2024.toml"
    students = tmp_path / "s.csv"
    students.write_text(
        "姓名,身份证号,户籍地址\n测试,1,太仆寺旗宝昌镇\n测试,1,太仆寺旗宝昌镇\n", encoding="utf-8"
    )
    bad_schools = tmp_path / "schools.csv"
    bad_schools.write_text("school_id,level,seats\nno-such-school,primary,10\n", encoding="utf-8")
    code = main(
        [
            "place",
            "--policy",
            str(policy),
            "--students",
            str(students),
            "--seed",
            "1",
            "--schools",
            str(bad_schools),
            "-o",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no-such-school" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_delegated_commands_report_user_errors_without_a_traceback(tmp_path, capsys):
    code = main(["lottery", "verify", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.strip()
    code = main(
        [
            "classes",
            "--placements",
            str(tmp_path / "missing.csv"),
            "--seed",
            "1",
            "-o",
            str(tmp_path / "c.csv"),
        ]
    )
    assert code == 2 and "Traceback" not in capsys.readouterr().err
