"""Search across a school's tickets: phone number (any format), ticket number, words.

Words are matched with Russian morphology on both databases: PostgreSQL's full-text search
with the ``russian`` configuration (a GIN index on ``to_tsvector('russian', body)``), and on
the embedded SQLite default an FTS5 table over the words' dictionary forms (pymorphy3), so
«дневнике» finds «дневник» and «оценки» finds «оценок» either way.

The search document of a ticket (tickets.models.SearchDocument) is rebuilt on every commit
that changes what it is made of: a transcript or its correction, a note, the answer, the
numbers. ``install`` hooks that into the session once at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import pymorphy3
from sqlalchemy import DDL, ColumnElement, Select, event, func, inspect, or_, select, text
from sqlalchemy.orm import Session

from core import phones
from core.extensions import db
from core.models import AuditEvent
from tickets.models import SearchDocument, Ticket, Transcript

QUERY_LIMIT = 200  # characters of a query that are looked at
RESULT_LIMIT = 50
NOTE_ACTIONS = ("ticket.note", "ticket.escalated")
# What the index is made of; a change to any of these rebuilds the ticket's document.
TICKET_FIELDS = ("caller_number", "callback_number", "resolution", "vendor_reference",
                 "student_class")
TRANSCRIPT_FIELDS = ("text", "corrected_text")

# Objects Alembic must not compare with the models: SQLite's FTS5 table (and the shadow
# tables it makes) and PostgreSQL's expression index, both created by DDL below.
FTS_TABLE = "ticket_search_fts"
TSV_INDEX = "ix_ticket_search_body_tsv"

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # letters and digits of any script
_PHONE_LIKE = re.compile(r"^[\s+()\-.0-9]+$")


def managed_by_ddl(name: str | None, type_: str) -> bool:
    """True for the search objects the models do not describe (see helpline.migrations)."""
    if not name:
        return False
    return (type_ == "table" and name.startswith(FTS_TABLE)) or (
        type_ == "index" and name == TSV_INDEX
    )


# --- the index's DDL, for create_all (tests) and for the migration -----------------------

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "lemmas, content='ticket_search', content_rowid='ticket_id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS ticket_search_ai AFTER INSERT ON ticket_search BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, lemmas) VALUES (new.ticket_id, new.lemmas); END",
    "CREATE TRIGGER IF NOT EXISTS ticket_search_ad AFTER DELETE ON ticket_search BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, lemmas) "
    "VALUES ('delete', old.ticket_id, old.lemmas); END",
    "CREATE TRIGGER IF NOT EXISTS ticket_search_au AFTER UPDATE ON ticket_search BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, lemmas) "
    "VALUES ('delete', old.ticket_id, old.lemmas); "
    f"INSERT INTO {FTS_TABLE}(rowid, lemmas) VALUES (new.ticket_id, new.lemmas); END",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TABLE}",)
POSTGRES_DDL = (
    f"CREATE INDEX IF NOT EXISTS {TSV_INDEX} ON ticket_search "
    "USING gin (to_tsvector('russian', body))",
)

_table = SearchDocument.__table__
for _statement in SQLITE_DDL:
    event.listen(_table, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_DROP:
    event.listen(_table, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(_table, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


# --- words ---------------------------------------------------------------------------------


@cache
def _morph():
    return pymorphy3.MorphAnalyzer()


def _plain(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=65536)
def lemmas_of(word: str) -> tuple[str, ...]:
    """The word as written and every dictionary form pymorphy3 reads it as."""
    word = _plain(word)
    forms = [word]
    if re.search("[а-я]", word):
        for parse in _morph().parse(word):
            form = _plain(parse.normal_form)
            if form not in forms:
                forms.append(form)
    return tuple(forms)


def words(text_: str) -> list[str]:
    return _WORD.findall(text_ or "")


def lemma_text(text_: str) -> str:
    """The text as the dictionary forms of its words (what SQLite's FTS5 indexes)."""
    return " ".join(form for word in words(text_) for form in lemmas_of(word))


# --- keeping the documents -----------------------------------------------------------------


def document_for(ticket: Ticket) -> str:
    """The searchable text of a ticket: every transcript (both readings), notes, the answer."""
    parts: list[str] = []
    for transcript in db.session.scalars(
        select(Transcript).where(Transcript.ticket_id == ticket.id).order_by(Transcript.id)
    ):
        parts += [transcript.text or "", transcript.corrected_text or ""]
    parts += db.session.scalars(
        select(AuditEvent.note).where(
            AuditEvent.object_type == "ticket", AuditEvent.object_id == ticket.id,
            AuditEvent.action.in_(NOTE_ACTIONS), AuditEvent.note.is_not(None),
        ).order_by(AuditEvent.id)
    )
    parts += [ticket.resolution or "", ticket.vendor_reference or "", ticket.student_class or ""]
    return "\n".join(p for p in parts if p)


def reindex(ticket: Ticket) -> SearchDocument | None:
    """Rebuild one ticket's document (added to the session; the caller commits). A ticket
    without words has none until it gets some."""
    body = document_for(ticket)
    doc = db.session.get(SearchDocument, ticket.id)
    if doc is None:
        if not body:
            return None
        doc = SearchDocument(ticket_id=ticket.id, organization_id=ticket.organization_id)
        db.session.add(doc)
    if doc.body != body or doc.lemmas is None:
        doc.body = body
        doc.lemmas = lemma_text(body)
    return doc


def fresh_document(ticket: Ticket) -> SearchDocument | None:
    """The document of a ticket inserted in this transaction that nothing else touched yet:
    no transcript or note can name it (they would have marked it dirty), and no document can
    exist for its new id (documents go with their ticket), so nothing needs reading.

    A ticket with no words yet (every ticket a call opens: its message is transcribed later)
    gets none: an empty document matches no search, and reindex creates it with the first
    words (the record action saves a statement)."""
    body = "\n".join(p for p in (ticket.resolution, ticket.vendor_reference,
                                  ticket.student_class) if p)
    if not body:
        return None
    doc = SearchDocument(ticket_id=ticket.id, organization_id=ticket.organization_id,
                         body=body, lemmas=lemma_text(body))
    db.session.add(doc)
    return doc


def reindex_all(org_id: int | None = None) -> int:
    """Rebuild every document (after the migration, or with `helpline search-reindex`)."""
    query = select(Ticket)
    if org_id is not None:
        query = query.where(Ticket.organization_id == org_id)
    count = 0
    for ticket in db.session.scalars(query).all():
        reindex(ticket)
        count += 1
    db.session.commit()
    return count


def _changed(obj, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _touched_tickets(session: Session) -> set[int]:
    """Tickets whose document the pending changes make stale."""
    ids: set[int | None] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Ticket):
            if obj in session.new or (obj in session.dirty and _changed(obj, TICKET_FIELDS)):
                if obj.id is not None:
                    ids.add(obj.id)
                else:
                    session.info.setdefault("search_new", []).append(obj)
        elif isinstance(obj, Transcript):
            if obj in session.new or obj in session.deleted or _changed(obj, TRANSCRIPT_FIELDS):
                ids.add(obj.ticket_id)
        elif isinstance(obj, AuditEvent) and obj in session.new:
            if obj.object_type == "ticket" and obj.action in NOTE_ACTIONS:
                ids.add(obj.object_id)
    return {i for i in ids if i is not None}


def _before_flush(session: Session, _context, _instances) -> None:
    if session.info.get("search_busy"):
        return
    session.info.setdefault("search_dirty", set()).update(_touched_tickets(session))


def _before_commit(session: Session) -> None:
    if session.info.get("search_busy"):
        return
    session.info["search_busy"] = True
    try:
        dirty = session.info.setdefault("search_dirty", set())
        dirty.update(_touched_tickets(session))
        if not dirty and not session.info.get("search_new"):
            return
        fresh: set[int] = set()

        def write_fresh(tickets: list[Ticket]) -> list[Ticket]:
            waiting: list[Ticket] = []
            for ticket in tickets:
                if ticket.id is None:
                    waiting.append(ticket)
                elif ticket.id not in dirty | fresh:
                    fresh_document(ticket)
                    fresh.add(ticket.id)
            return waiting

        # A new ticket flushed already (it has its id) gets its document in the flush below,
        # with the transaction's other pending rows; the others once that flush gives ids.
        unflushed = write_fresh(session.info.pop("search_new", []))
        session.flush()  # ids for new tickets, and the pending rows the documents read
        write_fresh(unflushed)
        for ticket_id in sorted(dirty):
            ticket = session.get(Ticket, ticket_id)
            if ticket is not None:
                reindex(ticket)
        dirty.clear()
        session.flush()
    finally:
        session.info["search_busy"] = False


def _forget(session: Session, *_args) -> None:
    session.info.pop("search_dirty", None)
    session.info.pop("search_new", None)


_installed = False


def install() -> None:
    """Keep search documents in step with every commit of the app's session (once)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _forget)
    _installed = True


# --- searching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What the operator typed, understood: a phone number, a ticket number, words."""

    raw: str
    phone: str | None = None  # E.164
    digits: str | None = None  # part of a number: its last digits, or a ticket number
    number: int | None = None
    words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.phone or self.digits or self.number is not None or self.words)


def parse_query(raw: str) -> Query:
    raw = (raw or "").strip()[:QUERY_LIMIT]
    if not raw:
        return Query(raw)
    ticket_mark = re.fullmatch(r"(?:№|#|n|no\.?)\s*(\d{1,9})", raw, flags=re.IGNORECASE)
    if ticket_mark:
        return Query(raw, number=int(ticket_mark.group(1)))
    if _PHONE_LIKE.match(raw):
        digits = re.sub(r"\D", "", raw)
        if len(digits) >= 10:
            e164 = phones.normalize(raw)
            if e164 is not None:
                return Query(raw, phone=e164)
        if not digits:
            return Query(raw)
        number = int(digits) if len(digits) <= 9 else None
        return Query(raw, digits=digits if len(digits) >= 4 else None, number=number)
    return Query(raw, words=tuple(words(raw))[:12])


def _fts_expression(query_words: tuple[str, ...]) -> str:
    """FTS5 MATCH text: every word, each as any of its forms (or as a prefix)."""
    groups = []
    for word in query_words:
        forms = lemmas_of(word)
        alternatives = [f'"{f}"' for f in forms] + [f'"{_plain(word)}"*']
        groups.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(groups)


def _tsquery(query_words: tuple[str, ...]):
    """PostgreSQL tsquery: every word, each as the word or any of its dictionary forms.

    The ``russian`` snowball stemmer alone stems «журнал» and «журналом» differently; adding
    pymorphy3's lemmas to the query closes that gap without changing the index.
    """
    config = text("'russian'")
    groups = []
    for word in query_words:
        forms = [func.plainto_tsquery(config, form) for form in lemmas_of(word)]
        group: ColumnElement[Any] = forms[0]
        for form in forms[1:]:
            group = group.op("||")(form)
        groups.append(group)
    combined: ColumnElement[Any] = groups[0]
    for group in groups[1:]:
        combined = combined.op("&&")(group)
    return combined


def _text_filter(query: Select, q: Query, dialect: str) -> Select:
    if dialect == "postgresql":
        tsquery = _tsquery(q.words)
        vector = func.to_tsvector(text("'russian'"), SearchDocument.body)
        return (
            query.join(SearchDocument, SearchDocument.ticket_id == Ticket.id)
            .where(vector.bool_op("@@")(tsquery))
            .order_by(func.ts_rank(vector, tsquery).desc(), Ticket.id.desc())
        )
    matches = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match "
                   "ORDER BY rank").bindparams(match=_fts_expression(q.words))
    return query.where(Ticket.id.in_(matches)).order_by(Ticket.id.desc())


def search(org_id: int, raw: str, *, limit: int = RESULT_LIMIT) -> list[Ticket]:
    """The school's tickets that match: one query, newest (or best ranked) first."""
    q = parse_query(raw)
    if q.empty:
        return []
    query = select(Ticket).where(Ticket.organization_id == org_id)
    if q.phone:
        query = query.where(or_(Ticket.caller_number == q.phone,
                                Ticket.callback_number == q.phone)).order_by(Ticket.id.desc())
    elif q.digits or q.number is not None:
        conditions = []
        if q.number is not None:
            conditions.append(Ticket.number == q.number)
        if q.digits:
            pattern = f"%{q.digits}%"
            conditions += [Ticket.caller_number.like(pattern),
                           Ticket.callback_number.like(pattern)]
        query = query.where(or_(*conditions)).order_by(
            (Ticket.number == q.number).desc() if q.number is not None else Ticket.id.desc(),
            Ticket.id.desc(),
        )
    else:
        query = _text_filter(query, q, db.session.get_bind().dialect.name)
    return list(db.session.scalars(query.limit(limit)))
