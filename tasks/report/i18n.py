"""Editions of the report: gettext catalogues and the Jinja environment of each language.

Texts are written in English in the templates (`{% trans %}`, `_()`), and the catalogues in
`templates/locale/<lang>/LC_MESSAGES/auditbridge.po` give each language's wording. The `.po` files are the
only source: they are compiled in memory at load time with babel, so no binary `.mo` is committed and a
translator edits one text file. A message missing from a catalogue falls back to its English msgid.

Autoescape is forced on for every template (`autoescape=True`): `select_autoescape(["html"])` would not
cover files named `*.html.j2`, and a ticket title or department name must never become markup.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import ChainableUndefined, Environment, FileSystemLoader

from auditbridge.home import resource_dir
from tasks.report import format as fmt

LANGUAGES = ("fr", "en")
DOMAIN = "auditbridge"


def templates_dir() -> Path:
    return resource_dir("templates")


def catalogue_path(lang: str) -> Path:
    return templates_dir() / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=4)
def translations(lang: str) -> Translations:
    """The language's catalogue, read from its .po and compiled in memory (fuzzy entries are ignored)."""
    path = catalogue_path(lang)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


@lru_cache(maxsize=4)
def make_environment(lang: str) -> Environment:
    """The Jinja environment of one edition: autoescape on, gettext installed, filters bound to `lang`.

    Cached per language (compiling the templates is most of the rendering time); nothing mutates it after
    creation, and Jinja reloads a template whose file changed.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"no edition for language {lang!r} (expected one of {', '.join(LANGUAGES)})")
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.filters.update(fmt.bind_filters(lang))
    env.globals["lang"] = lang
    return env


def gettext_for(lang: str):
    """Plain `gettext` of a language, for texts built outside templates (CSV headlines)."""
    return translations(lang).gettext


def extract_messages() -> list[str]:
    """Every msgid used by the templates, in order of first use: what each catalogue must translate.

    Maintainers regenerate the catalogues from this list; the tests check that none is missing.
    """
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(
        str(templates_dir()),
        method_map=[("**.j2", "jinja2.ext:babel_extract")],
        options_map={
            "**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
        },
    )
    return list(dict.fromkeys(msg for _, _, msg, _, _ in found if isinstance(msg, str)))
