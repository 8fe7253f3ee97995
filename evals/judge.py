"""The llm-rubric judge: a provider's chat model reads the conversation and grades the answer PASS or FAIL with
a reason. The offline model cannot judge prose, so with it there is no judge and rubric checks are skipped
(assertions.py says why). The judge's instructions are prompts/eval_judge.md."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from echotune.evals.assertions import Judge
from echotune.evals.transcript import Transcript
from echotune.prompts import load

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

VERDICT = re.compile(r"^\W*(PASS|FAIL)\b\W*(.*)", re.IGNORECASE | re.DOTALL)
RESULT_CHARS = 1500


def conversation_text(transcript: Transcript) -> str:
    """The conversation as the judge reads it: each turn's request, tool calls (results cut short), answer."""
    lines: list[str] = []
    for turn in transcript.turns:
        lines.append(f"Person: {turn.user}")
        for call in turn.tool_calls:
            outcome = (
                call.error if call.error else json.dumps(call.result, ensure_ascii=False, sort_keys=True, default=str)
            )
            args = json.dumps(call.args, ensure_ascii=False, sort_keys=True)
            lines.append(f"Tool call: {call.name}({args}) -> {outcome[:RESULT_CHARS]}")
        lines.append(f"Assistant: {turn.answer}")
    return "\n".join(lines)


def parse_verdict(text: str) -> tuple[bool, str]:
    match = VERDICT.match(text.strip())
    if match is None:
        return False, f"the judge did not answer PASS or FAIL: {text.strip()[:200]!r}"
    reason = match.group(2).strip() or "(no reason given)"
    return match.group(1).upper() == "PASS", f"judge: {reason}"


def llm_judge(model: BaseChatModel) -> Judge:
    """A Judge over a LangChain chat model (any provider, or a CachedChatModel for record/replay)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    instructions = load("eval_judge").strip()

    def judge(rubric: str, transcript: Transcript) -> tuple[bool, str]:
        request = f"Rubric: {rubric}\n\nConversation:\n{conversation_text(transcript)}"
        reply: Any = model.invoke([SystemMessage(instructions), HumanMessage(request)])
        return parse_verdict(str(reply.text))

    return judge
