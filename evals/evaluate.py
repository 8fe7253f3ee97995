"""One eval run as `echotune eval run` does it: load the suites, build the agent target for a provider (recorded
or replayed when asked), the judge for llm-rubric checks, and run. Kept out of the CLI module so the CLI stays
light to import and the same run is one call from Python."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from echotune.evals.assertions import Judge
from echotune.evals.runner import RunReport, run
from echotune.evals.suite import load_suites

if TYPE_CHECKING:
    from echotune.evals.replay import ResponseCache
    from echotune.tools.config import Config


def bundled_suites() -> Path:
    """The suites shipped with EchoTune (evals/suites/*.yaml)."""
    return Path(str(resources.files("echotune.evals").joinpath("suites")))


def build_judge(
    config: Config, provider: str | None, model: str | None, cache: ResponseCache | None = None
) -> Judge | None:
    """A judge on a provider's chat model; None for the offline provider (rubric checks are then skipped)."""
    if provider is None or provider == "offline":
        return None
    from echotune.agent.providers import DEFAULT_MODELS, ProviderChoice, remote_chat_model
    from echotune.evals.judge import llm_judge
    from echotune.evals.replay import CachedChatModel
    from echotune.tools.errors import NotConfiguredError

    model = model or DEFAULT_MODELS.get(provider)
    if not model:
        raise NotConfiguredError(f"The {provider} judge needs a model name", hint="pass --judge-model NAME")
    inner = None
    if cache is None or cache.mode == "record":
        inner = remote_chat_model(ProviderChoice(provider, model), config)
    if cache is None:
        return llm_judge(inner)
    return llm_judge(CachedChatModel(responses=cache, provider=provider, model_name=model, inner=inner))


def evaluate(
    paths: Sequence[Path],
    *,
    config: Config | None = None,
    provider: str = "offline",
    model: str | None = None,
    repeat: int | None = None,
    tags: Sequence[str] = (),
    concurrency: int = 1,
    record: Path | None = None,
    replay: Path | None = None,
    judge_provider: str | None = None,
    judge_model: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Run the suites at `paths` through the agent with one provider. The judge defaults to the same provider
    and model unless that is the offline one."""
    from echotune.evals.agent_target import AgentTarget
    from echotune.evals.replay import ResponseCache
    from echotune.tools.config import load_config

    config = config or load_config()
    suites = load_suites(list(paths))
    cache = None
    if record is not None:
        cache = ResponseCache(record, "record")
    elif replay is not None:
        cache = ResponseCache(replay, "replay")
    if judge_provider is None and provider != "offline":
        judge_provider, judge_model = provider, judge_model or model
    judge = build_judge(config, judge_provider, judge_model, cache)
    with AgentTarget(provider, model, config=config, cache=cache) as target:
        target.prepare(suites)
        return run(suites, target, repeat=repeat, tags=tags, concurrency=concurrency, judge=judge, progress=progress)
