"""Rendering of an implementation check: the loss checker's property table under a header naming the code."""

from __future__ import annotations

from verify.code.check import CodeReport
from verify.render.loss import LossTable


class CodeTable(LossTable):
    """The property table of a :class:`CodeReport`; the first line names function, framework and inputs."""

    def header(self) -> str:
        r = self.report
        assert isinstance(r, CodeReport)
        inputs = ", ".join(f"{arg}→{canon}" for canon, arg in r.inputs.items())
        bound = ", ".join(f"{k}={v}" for k, v in r.bound.items())
        line = f"{r.name} ({r.framework}; {inputs}" + (f"; {bound}" if bound else "") + ")"
        if r.against:
            params = ", ".join(f"{k}={v}" for k, v in r.params.items())
            line += f"\nagainst {r.against}: L = {r.expression}" + (f"   [{params}]" if params else "")
        return line


def render_code(report: CodeReport) -> CodeTable:
    return CodeTable(report)
