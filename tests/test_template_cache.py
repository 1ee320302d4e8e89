"""Compiled templates kept in the project's cache: loaded again, and never for other settings."""

from __future__ import annotations

from pathlib import Path

import jinja2

from tooling.template_cache import BytecodeCache, cache_compiled_templates


def _env(**options: object) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{{ x }}!"}), **options)  # type: ignore[arg-type]


def test_a_second_environment_loads_the_compiled_code(tmp_path: Path) -> None:
    first = _env()
    cache_compiled_templates(first, tmp_path, "mkdocs 1", "material 1")
    assert first.get_template("t.html").render(x="<a>") == "<a>!"
    assert len(list(tmp_path.iterdir())) == 1

    second = _env()
    cache_compiled_templates(second, tmp_path, "mkdocs 1", "material 1")
    compiled: list[str] = []
    original = second.compile

    def counting(*args: object, **kwargs: object) -> object:
        compiled.append("x")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    second.compile = counting  # type: ignore[method-assign]
    assert second.get_template("t.html").render(x="<a>") == "<a>!"
    assert compiled == []  # loaded from the cache, not compiled


def test_other_settings_or_versions_get_their_own_code(tmp_path: Path) -> None:
    plain = _env()
    cache_compiled_templates(plain, tmp_path, "mkdocs 1", "material 1")
    plain.get_template("t.html")
    escaping = _env(autoescape=True)
    cache_compiled_templates(escaping, tmp_path, "mkdocs 1", "material 1")
    # compiled for autoescape=False, this would print <a> unescaped
    assert escaping.get_template("t.html").render(x="<a>") == "&lt;a&gt;!"
    newer = _env()
    cache_compiled_templates(newer, tmp_path, "mkdocs 1", "material 2")
    newer.get_template("t.html")
    assert len(list(tmp_path.iterdir())) == 3


def test_a_cache_that_cannot_be_written_is_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = _env(bytecode_cache=BytecodeCache(blocker / "sub", "s"))
    assert env.get_template("t.html").render(x=1) == "1!"


def test_a_site_build_keeps_the_themes_compiled_templates(built_site: Path) -> None:
    project = built_site.parent
    assert any(
        name.suffix == ".cache" for name in (project / ".dossier-cache" / "jinja-theme").iterdir()
    )
