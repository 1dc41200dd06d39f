"""Results as JUnit XML for CI systems: one test suite per derivation, one test case per step.

A step that fails (its status contradicts its expectation) is a ``<failure>`` when the checker
reached a verdict (refuted although expected to hold, or proved/confirmed although a documented
error was expected) and an ``<error>`` when it could not check it (``error``/``timeout``). The
message of a refutation names the counterexample.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from verify.render import _report
from verify.results import DerivationResult, RunResult, StepResult

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(s: str) -> str:
    """``s`` without the characters XML 1.0 cannot carry (ElementTree would write them verbatim)."""
    return _NOT_XML.sub("\ufffd", s)


def _point(step: StepResult) -> str:
    point = _report.display_point(step, limit=len(step.counterexample or {}))
    values = ", ".join(f"{k} = {v}" for k, v in (step.values or {}).items())
    return f"counterexample {point}" + (f" ({values})" if values else "") if point else ""


def message(step: StepResult) -> str:
    """The one-line failure message of a failing step."""
    if step.expected == "holds" and step.status == "refuted":
        return f"refuted: {_point(step) or step.reason or 'counterexample found'}"
    if step.expected == "refuted" and step.status in ("proved", "confirmed"):
        return f"expected refuted (a documented error in the source) but {step.status}: the error is no longer caught"
    return f"{step.status}: {step.reason or 'could not be checked'}"


def _details(step: StepResult) -> str:
    lines = [f"status: {_report.verdict(step)}", f"method: {_report.method(step)}", f"claim: {step.claim_latex}"]
    if step.justification:
        lines.append(f"justification: {step.justification}")
    lines += [f"{label}: {note}" for label, note in _report.notes(step)]
    if step.counterexample:
        lines.append(_point(step))
    if step.correction_latex:
        lines.append(f"corrected form ({_report.correction_note(step)}): {step.correction_latex}")
    lines += [f"reproduction {k}: {v}" for k, v in _report.reproduction_rows(step)]
    return "\n".join(lines)


def _case(d: DerivationResult, step: StepResult) -> ET.Element:
    attrs = {"classname": _xml(f"verify.{d.kind}.{d.id}"), "name": _xml(step.id), "time": f"{step.seconds:.3f}"}
    if step.file and step.line:
        attrs.update(file=_xml(step.file), line=str(step.line))
    case = ET.Element("testcase", attrs)
    if step.failed:
        tag = "error" if step.status in ("error", "timeout") else "failure"
        node = ET.SubElement(case, tag, {"message": _xml(message(step)), "type": step.status})
        node.text = _xml(_details(step))
    else:
        ET.SubElement(case, "system-out").text = _xml(_details(step))
    return case


def render_junit(result: RunResult) -> str:
    """JUnit XML (the common Jenkins/GitLab/GitHub schema) of ``result``."""
    root = ET.Element("testsuites", {"name": "verify", "time": f"{result.seconds:.3f}"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for d in result.derivations:
        cases = [_case(d, s) for s in d.steps]
        failures = sum(c.find("failure") is not None for c in cases)
        errors = sum(c.find("error") is not None for c in cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _xml(d.id),
                "tests": str(len(cases)),
                "failures": str(failures),
                "errors": str(errors),
                "skipped": "0",
                "time": f"{sum(s.seconds for s in d.steps):.3f}",
            },
        )
        props = ET.SubElement(suite, "properties")
        env = {"verify": result.tool_version, "profile": result.profile, **result.environment}
        rows = [("title", d.title), ("kind", d.kind), ("source", _report.location(d.source)), *env.items()]
        for name, value in rows:
            ET.SubElement(props, "property", {"name": name, "value": _xml(str(value))})
        suite.extend(cases)
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["errors"] += errors
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
