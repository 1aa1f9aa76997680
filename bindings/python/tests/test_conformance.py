"""The cross-language conformance cases: the same file, the same verdicts as C++ and Node."""

import json
import pathlib

import oidcore

CASES = pathlib.Path(__file__).resolve().parents[3] / "tests" / "conformance" / "cases.json"


def test_shared_cases_give_their_verdicts() -> None:
    data = json.loads(CASES.read_text())
    verifier = oidcore.Verifier(**data["config"])
    assert len(data["cases"]) == 32
    for case in data["cases"]:
        try:
            verifier.verify(case["token"])
            verdict = "ok"
        except oidcore.Error as e:
            verdict = e.code
        assert verdict == case["expected"], case["name"]
