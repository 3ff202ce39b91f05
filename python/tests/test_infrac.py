"""The Python package against the `infrac` binary on the default system (`environments/`).

`check` finds what `infrac check` finds, `eval` equals `infrac eval`, `build` equals what
`infrac build` writes, byte for byte, and a failure raises `InfracError` with the diagnostics.
`INFRAC_BIN` names the binary (scripts/test-python sets it).
"""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

import infrac

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENVIRONMENTS = ROOT / "environments"
ENVS = ["dev", "pre", "pro"]


def cli(*args):
    return subprocess.run(
        [os.environ["INFRAC_BIN"], *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )


def findings(diagnostics):
    """(code, file name, line, column, message) of each diagnostic's primary label."""
    found = set()
    for diagnostic in diagnostics:
        primary = next(label for label in diagnostic["labels"] if label["primary"])
        found.add(
            (
                diagnostic["code"],
                pathlib.Path(primary["file"]).name,
                primary["line"],
                primary["column"],
                diagnostic["message"],
            )
        )
    return found


def cli_findings(path):
    return findings(json.loads(cli("check", path, "--format", "json").stdout))


def broken_copy(tmp_path):
    """The default system with a type error, a constraint violation and an unknown override in pro."""
    project = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, project)
    pro = project / "pro.infra"
    text = pro.read_text()
    broken = (
        text.replace("azs           = 3", 'azs           = "three"')
        .replace("log_days      = 90", "log_days      = 91")
        .replace("http_redirect = false", "http_redirect = false\n  htp_redirect  = true")
    )
    assert broken != text
    pro.write_text(broken)
    return project


def test_check_of_the_default_system_is_clean_as_infrac_check_says():
    assert findings(infrac.check(ENVIRONMENTS)) == cli_findings(ENVIRONMENTS) == set()


def test_check_finds_what_infrac_check_finds(tmp_path):
    project = broken_copy(tmp_path)
    expected = cli_findings(project)
    assert len(expected) >= 3
    assert findings(infrac.check(project)) == expected
    # One file: the environments it declares, as `infrac check FILE` reports them.
    assert findings(infrac.check(project / "pro.infra")) == cli_findings(project / "pro.infra")
    codes = {diagnostic["code"] for diagnostic in infrac.check(project)}
    assert {"E0401", "E0404", "E0305"} <= codes


@pytest.mark.parametrize("env", ENVS)
def test_eval_equals_infrac_eval(env):
    printed = cli("eval", ENVIRONMENTS / f"{env}.infra")
    assert printed.returncode == 0, printed.stderr
    assert infrac.eval(ENVIRONMENTS / f"{env}.infra") == json.loads(printed.stdout)


@pytest.mark.parametrize("env", ENVS)
def test_build_equals_infrac_build_byte_for_byte(env, tmp_path):
    out = tmp_path / env
    built = cli("build", ENVIRONMENTS / f"{env}.infra", "--out", out)
    assert built.returncode == 0, built.stderr
    written = {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }
    files = infrac.build(ENVIRONMENTS / f"{env}.infra")
    assert sorted(files) == sorted(written)
    for path, text in files.items():
        assert text.encode("utf-8") == written[path], path


def test_a_failure_raises_with_the_diagnostics(tmp_path):
    project = broken_copy(tmp_path)
    for function in (infrac.eval, infrac.build):
        with pytest.raises(infrac.InfracError) as raised:
            function(project / "pro.infra")
        diagnostics = raised.value.diagnostics
        assert findings(diagnostics) == cli_findings(project / "pro.infra")
        assert "error[" in str(raised.value)
    # The environments that still check evaluate as before.
    assert infrac.eval(project / "dev.infra") == infrac.eval(ENVIRONMENTS / "dev.infra")


def test_a_file_without_exactly_one_environment_raises(tmp_path):
    with pytest.raises(infrac.InfracError) as raised:
        infrac.eval(ENVIRONMENTS / "base.infra")
    assert "exactly one environment" in str(raised.value)
    assert raised.value.diagnostics == []
    with pytest.raises(infrac.InfracError):
        infrac.build(tmp_path / "missing.infra")
    with pytest.raises(infrac.InfracError):
        infrac.check(tmp_path / "missing")
