"""cohorts: programmes, cohorts, applications, review, decisions, enrollment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import incubator.db

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("name", name=op.f("uq_programme_name")),
    )
    op.create_table(
        "cohort",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("applications_open_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applications_close_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planning",
                "open",
                "reviewing",
                "running",
                "demo_day",
                "completed",
                name="cohort_status",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("blind_review", sa.Boolean(), nullable=False),
        sa.Column("scores_visible_after_submit", sa.Boolean(), nullable=False),
        sa.Column("reviewers_per_application", sa.Integer(), nullable=False),
        sa.Column("review_due_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decisions_released_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_cohort_capacity_positive")),
        sa.CheckConstraint("reviewers_per_application BETWEEN 1 AND 10", name=op.f("ck_cohort_reviewers_range")),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_cohort_programme_id_programme"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
    )
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "reviewer_conflict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("declared_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_reviewer_conflict_startup_id_startup"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_reviewer_conflict_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_conflict")),
        sa.UniqueConstraint("user_id", "startup_id", name="uq_reviewer_conflict"),
    )
    with op.batch_alter_table("reviewer_conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewer_conflict_startup_id"), ["startup_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviewer_conflict_user_id"), ["user_id"], unique=False)

    op.create_table(
        "application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "under_review",
                "interview",
                "accepted",
                "rejected",
                "waitlisted",
                "enrolled",
                "withdrawn",
                name="application_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("interview_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("interview_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("feedback_shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_application_cohort_id_cohort"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_application_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_application_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint("cohort_id", "startup_id", "live", name="uq_application_live"),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_startup_id"), ["startup_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_status"), ["status"], unique=False)

    op.create_table(
        "cohort_reviewer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_cohort_reviewer_capacity_nonnegative")),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_cohort_reviewer_cohort_id_cohort"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_cohort_reviewer_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_reviewer")),
        sa.UniqueConstraint("cohort_id", "user_id", name="uq_cohort_reviewer"),
    )
    with op.batch_alter_table("cohort_reviewer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohort_reviewer_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cohort_reviewer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "form_question",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "short_text",
                "long_text",
                "number",
                "single_choice",
                "multiple_choice",
                "pdf",
                name="question_kind",
                native_enum=False,
                create_constraint=True,
                length=23,
            ),
            nullable=False,
        ),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("help_text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("identifying", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_form_question_cohort_id_cohort"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_question")),
    )
    with op.batch_alter_table("form_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_question_cohort_id"), ["cohort_id"], unique=False)

    op.create_table(
        "review_criterion",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_review_criterion_weight_positive")),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_review_criterion_cohort_id_cohort"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_criterion")),
    )
    with op.batch_alter_table("review_criterion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_criterion_cohort_id"), ["cohort_id"], unique=False)

    op.create_table(
        "application_answer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "short_text",
                "long_text",
                "number",
                "single_choice",
                "multiple_choice",
                "pdf",
                name="question_kind",
                native_enum=False,
                create_constraint=True,
                length=23,
            ),
            nullable=False,
        ),
        sa.Column("identifying", sa.Boolean(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("file_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("updated_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_answer_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["form_question.id"],
            name=op.f("fk_application_answer_question_id_form_question"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_answer")),
        sa.UniqueConstraint("application_id", "question_id", name="uq_answer_question"),
    )
    with op.batch_alter_table("application_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_answer_application_id"), ["application_id"], unique=False)

    op.create_table(
        "application_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_application_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_event_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_event")),
    )
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_event_application_id"), ["application_id"], unique=False)

    op.create_table(
        "decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "accept",
                "reject",
                "waitlist",
                name="decision_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "response",
            sa.Enum(
                "confirmed", "declined", name="decision_response", native_enum=False, create_constraint=True, length=17
            ),
            nullable=True,
        ),
        sa.Column("responded_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_decision_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_decision_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint("application_id", name=op.f("uq_decision_application_id")),
    )
    op.create_table(
        "enrollment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "graduated",
                "withdrawn",
                name="enrollment_status",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("enrolled_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_enrollment_application_id_application"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], name=op.f("fk_enrollment_cohort_id_cohort"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_enrollment_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
        sa.UniqueConstraint("cohort_id", "startup_id", name="uq_enrollment_startup"),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollment_startup_id"), ["startup_id"], unique=False)

    op.create_table(
        "review_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "assigned",
                "cleared",
                "submitted",
                "conflicted",
                "removed",
                name="assignment_status",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=False,
        ),
        sa.Column("assigned_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("declared_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("conflict_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("reminded_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_review_assignment_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user_account.id"],
            name=op.f("fk_review_assignment_reviewer_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignment")),
        sa.UniqueConstraint("application_id", "reviewer_id", name="uq_assignment_reviewer"),
    )
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_assignment_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_assignment_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("weighted_total", sa.Float(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column(
            "recommendation",
            sa.Enum(
                "accept",
                "interview",
                "waitlist",
                "reject",
                name="recommendation",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_review_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignment.id"],
            name=op.f("fk_review_assignment_id_review_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["user_account.id"], name=op.f("fk_review_reviewer_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_review_assignment_id")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_reviewer_id"), ["reviewer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_review_application_id"))

    op.drop_table("review")
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_assignment_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignment_application_id"))

    op.drop_table("review_assignment")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_startup_id"))
        batch_op.drop_index(batch_op.f("ix_enrollment_cohort_id"))

    op.drop_table("enrollment")
    op.drop_table("decision")
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_event_application_id"))

    op.drop_table("application_event")
    with op.batch_alter_table("application_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_answer_application_id"))

    op.drop_table("application_answer")
    with op.batch_alter_table("review_criterion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_criterion_cohort_id"))

    op.drop_table("review_criterion")
    with op.batch_alter_table("form_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_question_cohort_id"))

    op.drop_table("form_question")
    with op.batch_alter_table("cohort_reviewer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_reviewer_user_id"))
        batch_op.drop_index(batch_op.f("ix_cohort_reviewer_cohort_id"))

    op.drop_table("cohort_reviewer")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_status"))
        batch_op.drop_index(batch_op.f("ix_application_startup_id"))
        batch_op.drop_index(batch_op.f("ix_application_cohort_id"))

    op.drop_table("application")
    with op.batch_alter_table("reviewer_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewer_conflict_user_id"))
        batch_op.drop_index(batch_op.f("ix_reviewer_conflict_startup_id"))

    op.drop_table("reviewer_conflict")
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cohort_programme_id"))

    op.drop_table("cohort")
    op.drop_table("programme")
