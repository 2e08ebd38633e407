"""``fawu ask``, ``fawu kb check`` and ``fawu kb signoff-status``: the consultation engine and its knowledge
base from the command line (no database)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from app.commandkit import settings_or_exit
from app.consult import engine, service
from app.consult.kb import load_kb, signoff_status


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

    @kb_group.command("signoff-status")
    @click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
    @click.option("--list", "list_ids", is_flag=True, help="Also list the entries awaiting a sign-off.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def kb_signoff_status(folder: Path | None, list_ids: bool, as_json: bool) -> None:
        """Per category: entries in all, signed off by a lawyer, still awaiting a lawyer's sign-off."""
        folder = folder or settings_or_exit().content_dir / "kb"
        loaded = load_kb(folder)
        if loaded.problems:
            click.echo(f"知识库有 {len(loaded.problems)} 个问题，请先运行 fawu kb check", err=True)
            sys.exit(1)
        rows = [r for r in signoff_status(loaded.entries) if r.total]
        if as_json:
            click.echo(json.dumps({"categories": [
                {"category": r.category, "label": r.label, "total": r.total, "signed": r.signed,
                 "awaiting": [e.id for e in r.awaiting]} for r in rows]}, ensure_ascii=False))
            return
        click.echo(f"{'类别':<12}{'条目':>6}{'已签核':>8}{'待签核':>8}")
        for r in rows:
            click.echo(f"{r.label:<12}{r.total:>6}{r.signed:>8}{len(r.awaiting):>8}")
            if list_ids:
                for e in r.awaiting:
                    click.echo(f"    {e.id}  {e.question}  （{e.reviewer} {e.review_date or ''}）")
        total, signed = sum(r.total for r in rows), sum(r.signed for r in rows)
        click.echo(f"合计 {total} 条：已由律师签核 {signed} 条，待律师签核 {total - signed} 条")
