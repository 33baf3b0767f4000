"""Sentences for people, written once in English and shown in the reader's language.

Code below the web layer (services, checklist answers, file imports) stays free of Flask, yet
what it reports reaches pages shown in Spanish. So it never translates anything itself: it
marks each English template with :func:`N_`, which ``pybabel extract -k N_`` collects into the
catalogues, and hands the template on, with its values, as a :class:`Message`.

A :class:`Message` *is* the English sentence (a ``str``), so the command line, the logs and any
code that treats it as text keep working unchanged. Only a layer that knows the reader's
language looks inside it: ``message.translate(gettext)`` translates the template and then fills
in the values, which may themselves be messages (a hint inside a sentence), translated the
same way. The web layer does this with the page's locale (:func:`monitor.web.i18n.localise`).

Rules for templates, so that every language can say the whole sentence its own way:

- one template per sentence, never assembled from pieces (word order differs between
  languages); choose between whole templates instead, and use :func:`Nn_` where a number
  decides the wording ("1 row", "3 rows"): languages differ in how many forms they have;
- named placeholders only (``%(name)s``, ``%(count)d``), never positional ones, and no f-string
  inside ``N_``;
- write ``%%`` for a percent sign only in a template that has values (like ``gettext``, a
  template without values is not formatted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger(__name__)

#: Looks a template up in a catalogue (``gettext``); identity gives the English text.
Translate = Callable[[str], str]
#: Looks a singular/plural pair up for a number (``ngettext``, without formatting).
TranslatePlural = Callable[[str, str, int], str]
#: Turns a value that is not a message into what the reader sees (a code into its label).
Describe = Callable[[Any], Any]


class Message(str):
    """An English sentence that remembers its template and values, to be translated later.

    >>> m = N_("'%(text)s' is not a number.", text="abc")
    >>> m
    "'abc' is not a number."
    >>> m.template, m.params
    ("'%(text)s' is not a number.", {'text': 'abc'})
    """

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = template % params if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def translate(self, gettext: Translate, describe: Describe | None = None,
                  ngettext: TranslatePlural | None = None) -> str:
        """The sentence in the language of *gettext*, its values filled in.

        :param describe: applied to every value that is not a message (the web layer turns
            stored codes such as a visit state into their label in the page's language).
        :param ngettext: looks up messages made with :func:`Nn_` (without it, the English
            rule picks the form: singular for one).
        """
        text = self._look_up(gettext, ngettext)
        if not self.params:
            return text
        values = {name: _shown(value, gettext, describe, ngettext)
                  for name, value in self.params.items()}
        try:
            return text % values
        except (KeyError, ValueError, TypeError):
            # A translation that renamed or broke a placeholder (the catalogue test catches
            # it): say the sentence in English rather than fail the page that shows it.
            logger.warning("translation of %r does not fit its values; shown in English",
                           self.template)
            return self._look_up(_same, None) % {
                name: _shown(value, _same, describe, None) for name, value in self.params.items()}

    def _look_up(self, gettext: Translate, ngettext: TranslatePlural | None) -> str:
        return gettext(self.template)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a cache, a session) as template and values, not as the English text alone.
        return (_rebuild, (type(self), self.template, self.params))


class PluralMessage(Message):
    """A :class:`Message` whose wording depends on a number (``count``): see :func:`Nn_`."""

    plural: str
    count: int

    def __new__(cls, singular: str, plural: str, count: int, /, **params: Any) -> PluralMessage:
        params = {"count": count, **params}
        self = super().__new__(cls, singular if count == 1 else plural, **params)
        self.template, self.plural, self.count = singular, plural, count
        return self

    def _look_up(self, gettext: Translate, ngettext: TranslatePlural | None) -> str:
        if ngettext is not None:
            return ngettext(self.template, self.plural, self.count)
        return self.template if self.count == 1 else self.plural

    def __reduce__(self) -> tuple[Any, ...]:
        params = {k: v for k, v in self.params.items() if k != "count"}
        return (_rebuild_plural, (type(self), self.template, self.plural, self.count, params))


def _same(text: str) -> str:
    return text


def _shown(value: Any, gettext: Translate, describe: Describe | None,
           ngettext: TranslatePlural | None) -> Any:
    if isinstance(value, Message):
        return value.translate(gettext, describe, ngettext)
    return describe(value) if describe is not None else value


def _rebuild(kind: type[Message], template: str, params: dict[str, Any]) -> Message:
    return kind(template, **params)


def _rebuild_plural(kind: type[PluralMessage], singular: str, plural: str, count: int,
                    params: dict[str, Any]) -> PluralMessage:
    return kind(singular, plural, count, **params)


def N_(template: str, /, **params: Any) -> Message:  # noqa: N802 - the name gettext tools know
    """Mark *template* for translation and fill in *params*; translate nothing now.

    ``pybabel extract -k N_`` collects the template (the first argument, a literal) into
    ``messages.pot``; the values are kept with the message for whoever translates it.
    """
    return Message(template, **params)


def Nn_(singular: str, plural: str, count: int, /, **params: Any) -> PluralMessage:  # noqa: N802
    """Like :func:`N_`, for a sentence whose wording depends on *count* ("1 row", "3 rows").

    ``pybabel extract -k Nn_:1,2`` collects both forms; each language gives as many forms as
    its grammar has. *count* is also a value of the template: ``%(count)d``.
    """
    return PluralMessage(singular, plural, count, **params)


def sentences(parts: Iterable[str]) -> Message:
    """Several messages shown one after the other, each still translated on its own.

    The joining template is made of placeholders only: it is never marked for translation,
    and ``gettext`` gives it back unchanged.
    """
    values = {f"part{index}": part for index, part in enumerate(parts)}
    return Message(" ".join(f"%({name})s" for name in values), **values)


def translated(value: Any, gettext: Translate, describe: Describe | None = None,
               ngettext: TranslatePlural | None = None) -> str:
    """*value* in the language of *gettext*: a message translated, anything else as text."""
    if isinstance(value, Message):
        return value.translate(gettext, describe, ngettext)
    return str(value)
