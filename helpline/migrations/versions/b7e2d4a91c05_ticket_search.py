"""ticket search: documents, SQLite FTS5 (kept in sync by triggers), PostgreSQL GIN index

Revision ID: b7e2d4a91c05
Revises: 9b1e7c4d2a10
Create Date: 2026-12-01 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4a91c05'
down_revision = '9b1e7c4d2a10'
branch_labels = None
depends_on = None


def upgrade():
    from tickets import search

    op.create_table('ticket_search',
    sa.Column('ticket_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('lemmas', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_ticket_search_organization_id_organizations')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_search_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_search'))
    )
    with op.batch_alter_table('ticket_search', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_search_organization_id'), ['organization_id'], unique=False)

    dialect = op.get_bind().dialect.name
    statements = {"sqlite": search.SQLITE_DDL, "postgresql": search.POSTGRES_DDL}
    for statement in statements.get(dialect, ()):
        op.execute(statement)
    _backfill(search)


def _backfill(search):
    """Documents for the tickets already there (the app keeps them from now on)."""
    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('id'), sa.column('organization_id'),
                       sa.column('resolution'), sa.column('vendor_reference'),
                       sa.column('student_class'))
    transcripts = sa.table('transcripts', sa.column('id'), sa.column('ticket_id'),
                           sa.column('text'), sa.column('corrected_text'))
    events = sa.table('audit_events', sa.column('id'), sa.column('object_type'),
                      sa.column('object_id'), sa.column('action'), sa.column('note'))
    docs = sa.table('ticket_search', sa.column('ticket_id'), sa.column('organization_id'),
                    sa.column('body'), sa.column('lemmas'))
    parts: dict = {}
    for row in bind.execute(sa.select(transcripts).order_by(transcripts.c.id)):
        parts.setdefault(row.ticket_id, []).extend([row.text or "", row.corrected_text or ""])
    for row in bind.execute(
        sa.select(events).where(events.c.object_type == 'ticket',
                                events.c.action.in_(search.NOTE_ACTIONS),
                                events.c.note.is_not(None)).order_by(events.c.id)
    ):
        parts.setdefault(row.object_id, []).append(row.note)
    rows = []
    for ticket in bind.execute(sa.select(tickets)):
        pieces = parts.get(ticket.id, []) + [ticket.resolution or "",
                                              ticket.vendor_reference or "",
                                              ticket.student_class or ""]
        body = "\n".join(p for p in pieces if p)
        rows.append({"ticket_id": ticket.id, "organization_id": ticket.organization_id,
                     "body": body, "lemmas": search.lemma_text(body)})
    if rows:
        op.bulk_insert(docs, rows)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ticket_search_ai")
        op.execute("DROP TRIGGER IF EXISTS ticket_search_ad")
        op.execute("DROP TRIGGER IF EXISTS ticket_search_au")
        op.execute("DROP TABLE IF EXISTS ticket_search_fts")
    with op.batch_alter_table('ticket_search', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_search_organization_id'))
    op.drop_table('ticket_search')
