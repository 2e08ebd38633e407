"""``fawu ask`` and ``fawu kb check``: the consultation engine from the command line (no database)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from app.commandkit import settings_or_exit
from app.consult import engine, service
from app.consult.kb import load_kb


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.command("ask")
    @click.argument("question")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
    @click.option("--kb", "kb_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Knowledge-base folder (default: content_dir/kb).")
    def ask_cmd(question: str, as_json: bool, kb_dir: Path | None) -> None:
        """Ask the consultation engine; QUESTION "-" reads one question per line from stdin."""
        if kb_dir is not None:
            engine.use_folder(kb_dir)
        questions = [q.strip() for q in sys.stdin] if question == "-" else [question]

        async def run() -> None:
            for q in questions:
                if not q:
                    continue
                a = await service.ask(q, channel="cli", record=False)
                if as_json:
                    out = {"question": q, "category": a.category, "confidence": a.confidence,
                           "answers": [{"id": r.id, "title": r.title, "score": r.score} for r in a.answers],
                           "handoff": a.handoff, "urgent": a.urgent, "clarify": a.clarify, "reply": a.reply}
                    click.echo(json.dumps(out, ensure_ascii=False))
                else:
                    click.echo(f"类别 (category): {a.category}  置信度 {a.confidence:.2f}"
                               f"{'  转人工' if a.handoff else ''}{'  紧急' if a.urgent else ''}")
                    for r in a.answers:
                        click.echo(f"  {r.id}  {r.title}  ({r.score})")
                    click.echo(a.reply)

        asyncio.run(run())

    @cli.group("kb")
    def kb_group() -> None:
        """The knowledge base (content/kb)."""

    @kb_group.command("check")
    @click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
    def kb_check(folder: Path | None) -> None:
        """Validate the knowledge-base files; every problem with file, line and entry id."""
        folder = folder or settings_or_exit().content_dir / "kb"
        loaded = load_kb(folder)
        for p in loaded.problems:
            click.echo(f"错误 (error): {p}", err=True)
        files = len(list(folder.glob("*.toml"))) if folder.is_dir() else 0
        click.echo(f"知识库 {folder}: {files} 个文件，{len(loaded.entries)} 条有效，{len(loaded.problems)} 个问题")
        if loaded.problems:
            sys.exit(1)
