"""facilities: sites, spaces, resources, services, plans, leases, bookings, charges

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import incubator.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("legal_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("legal_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("tax_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("bank_details", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("invoice_footer", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    op.create_table(
        "biosafety_clearance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "none", "bsl1", "bsl2", name="biosafety_level", native_enum=False, create_constraint=True, length=12
            ),
            nullable=False,
        ),
        sa.Column("granted_date", sa.Date(), nullable=False),
        sa.Column("expires_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_biosafety_clearance_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_biosafety_clearance_startup_id_startup"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_biosafety_clearance")),
    )
    with op.batch_alter_table("biosafety_clearance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_biosafety_clearance_startup_id"), ["startup_id"], unique=False)

    op.create_table(
        "calendar_feed",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_calendar_feed_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feed_token")),
    )
    op.create_table(
        "charge",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "lease",
                "membership",
                "booking",
                "late_cancellation",
                "service",
                "pass_through",
                "one_off",
                name="charge_category",
                native_enum=False,
                create_constraint=True,
                length=25,
            ),
            nullable=False,
        ),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("source_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("unit_amount_minor", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("discount_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_charge_site_id_site"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_charge_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge")),
        sa.UniqueConstraint("source_type", "source_ref", name=op.f("uq_charge_source_type_source_ref")),
    )
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.create_index("ix_charge_site_period", ["site_id", "service_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_startup_id"), ["startup_id"], unique=False)

    op.create_table(
        "facility_service",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "analytical",
                "certification",
                "ip_legal",
                "business",
                "other",
                name="service_category",
                native_enum=False,
                create_constraint=True,
                length=21,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit",
            sa.Enum(
                "per_sample",
                "per_hour",
                "fixed",
                name="service_unit",
                native_enum=False,
                create_constraint=True,
                length=18,
            ),
            nullable=False,
        ),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("needs_quote", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("unit_price_minor >= 0", name=op.f("ck_facility_service_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_facility_service_site_id_site"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_service")),
    )
    with op.batch_alter_table("facility_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_service_site_id"), ["site_id"], unique=False)

    op.create_table(
        "plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "tier",
            sa.Enum("gold", "silver", "bronze", name="plan_tier", native_enum=False, create_constraint=True, length=14),
            nullable=False,
        ),
        sa.Column("monthly_fee_minor", sa.Integer(), nullable=False),
        sa.Column("included_minutes", sa.Integer(), nullable=False),
        sa.Column("discount_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("booking_days_ahead", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("discount_rate >= 0 AND discount_rate <= 1", name=op.f("ck_plan_discount_range")),
        sa.CheckConstraint(
            "monthly_fee_minor >= 0 AND included_minutes >= 0", name=op.f("ck_plan_amounts_not_negative")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_plan_site_id_site"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("site_id", "tier", name=op.f("uq_plan_site_id_tier")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_site_id"), ["site_id"], unique=False)

    op.create_table(
        "resource",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "fermenter",
                "bioreactor",
                "chromatography",
                "mass_spectrometry",
                "sequencing",
                "microscopy",
                "centrifuge",
                "other",
                name="resource_category",
                native_enum=False,
                create_constraint=True,
                length=25,
            ),
            nullable=False,
        ),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("volume_litres", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("hourly_rate_minor", sa.Integer(), nullable=False),
        sa.Column("min_minutes", sa.Integer(), nullable=False),
        sa.Column("max_minutes", sa.Integer(), nullable=False),
        sa.Column("increment_minutes", sa.Integer(), nullable=False),
        sa.Column("max_days_ahead", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("cancel_cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("late_cancel_fee_minor", sa.Integer(), nullable=False),
        sa.Column("requires_training", sa.Boolean(), nullable=False),
        sa.Column(
            "biosafety_level",
            sa.Enum(
                "none", "bsl1", "bsl2", name="biosafety_level", native_enum=False, create_constraint=True, length=12
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("buffer_minutes >= 0 AND max_days_ahead >= 0", name=op.f("ck_resource_buffer_ahead_valid")),
        sa.CheckConstraint("hourly_rate_minor >= 0", name=op.f("ck_resource_rate_not_negative")),
        sa.CheckConstraint(
            "increment_minutes > 0 AND min_minutes > 0 AND max_minutes >= min_minutes",
            name=op.f("ck_resource_lengths_valid"),
        ),
        sa.CheckConstraint("late_cancel_fee_minor >= 0", name=op.f("ck_resource_fee_not_negative")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_resource_site_id_site"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_site_id"), ["site_id"], unique=False)

    op.create_table(
        "space",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "desk",
                "private_office",
                "lab_bench",
                "lab_suite",
                "pilot_plant_bay",
                "cold_storage",
                name="space_kind",
                native_enum=False,
                create_constraint=True,
                length=23,
            ),
            nullable=False,
        ),
        sa.Column(
            "biosafety_level",
            sa.Enum(
                "none", "bsl1", "bsl2", name="biosafety_level", native_enum=False, create_constraint=True, length=12
            ),
            nullable=False,
        ),
        sa.Column("area_m2", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("monthly_price_minor", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_space_capacity_positive")),
        sa.CheckConstraint("monthly_price_minor >= 0", name=op.f("ck_space_price_not_negative")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_space_site_id_site"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_space")),
    )
    with op.batch_alter_table("space", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_space_site_id"), ["site_id"], unique=False)

    op.create_table(
        "tax_rate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_tax_rate_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rate")),
        sa.UniqueConstraint("site_id", "effective_date", name=op.f("uq_tax_rate_site_id_effective_date")),
    )
    with op.batch_alter_table("tax_rate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tax_rate_site_id"), ["site_id"], unique=False)

    op.create_table(
        "booking",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "confirmed", "cancelled", name="booking_status", native_enum=False, create_constraint=True, length=17
            ),
            nullable=False,
        ),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("included_minutes", sa.Integer(), nullable=False),
        sa.Column("billable_minutes", sa.Integer(), nullable=False),
        sa.Column("hourly_rate_minor", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("discount_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("confirmed_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Uuid(), nullable=True),
        sa.Column("late_fee_minor", sa.Integer(), nullable=False),
        sa.CheckConstraint("end_at > start_at AND blocked_until >= end_at", name=op.f("ck_booking_period_valid")),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["user_account.id"],
            name=op.f("fk_booking_cancelled_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_booking_resource_id_resource"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_booking_site_id_site"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_booking_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_booking_user_id_user_account"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("ix_booking_resource_start", ["resource_id", "start_at"], unique=False)
        batch_op.create_index("ix_booking_startup_start", ["startup_id", "start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lease",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("space_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("monthly_price_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name=op.f("ck_lease_period_valid")),
        sa.CheckConstraint("monthly_price_minor >= 0", name=op.f("ck_lease_price_not_negative")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_lease_site_id_site"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["space_id"], ["space.id"], name=op.f("fk_lease_space_id_space"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_lease_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease")),
    )
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lease_space_id"), ["space_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lease_startup_id"), ["startup_id"], unique=False)

    op.create_table(
        "maintenance_block",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_maintenance_block_period_valid")),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_maintenance_block_resource_id_resource"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_block")),
    )
    with op.batch_alter_table("maintenance_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maintenance_block_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("monthly_fee_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name=op.f("ck_membership_period_valid")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_membership_plan_id_plan"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_membership_site_id_site"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_membership_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index("ix_membership_startup_site", ["startup_id", "site_id"], unique=False)

    op.create_table(
        "plan_service",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_service_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["facility_service.id"],
            name=op.f("fk_plan_service_service_id_facility_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "service_id", name=op.f("pk_plan_service")),
    )
    op.create_table(
        "service_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "quoted",
                "accepted",
                "in_progress",
                "delivered",
                "cancelled",
                name="order_status",
                native_enum=False,
                create_constraint=True,
                length=19,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("discount_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("quote_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("quoted_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_date", sa.Date(), nullable=True),
        sa.Column("cancelled_at", incubator.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_service_order_quantity_positive")),
        sa.CheckConstraint("unit_price_minor >= 0", name=op.f("ck_service_order_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_service_order_requested_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["facility_service.id"],
            name=op.f("fk_service_order_service_id_facility_service"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_service_order_site_id_site"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_service_order_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order")),
    )
    with op.batch_alter_table("service_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_order_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_order_startup_id"), ["startup_id"], unique=False)

    op.create_table(
        "training",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("qualified_date", sa.Date(), nullable=False),
        sa.Column("expires_date", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_training_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_training_resource_id_resource"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_training_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training")),
    )
    with op.batch_alter_table("training", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_user_id"), ["user_id"], unique=False)

    op.create_table(
        "allowance_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("startup_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "grant",
                "consume",
                "restore",
                name="allowance_kind",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("entry_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_allowance_entry_booking_id_booking"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name=op.f("fk_allowance_entry_membership_id_membership"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_allowance_entry_site_id_site"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["startup_id"], ["startup.id"], name=op.f("fk_allowance_entry_startup_id_startup"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_entry")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_allowance_entry_entry_key")),
    )
    with op.batch_alter_table("allowance_entry", schema=None) as batch_op:
        batch_op.create_index("ix_allowance_entry_startup_month", ["startup_id", "site_id", "month"], unique=False)

    op.create_table(
        "pass_through_cost",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("cost_minor", sa.Integer(), nullable=False),
        sa.Column("margin_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("created_at", incubator.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost_minor >= 0", name=op.f("ck_pass_through_cost_cost_not_negative")),
        sa.CheckConstraint("margin_rate >= 0", name=op.f("ck_pass_through_cost_margin_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_order.id"],
            name=op.f("fk_pass_through_cost_order_id_service_order"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_through_cost")),
    )
    with op.batch_alter_table("pass_through_cost", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pass_through_cost_order_id"), ["order_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # No double booking, ever: two confirmed bookings of one resource may not overlap, buffer included.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE booking ADD CONSTRAINT ex_booking_no_overlap EXCLUDE USING gist "
            "(resource_id WITH =, tstzrange(start_at, blocked_until, '[)') WITH &&) WHERE (status = 'confirmed')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE booking DROP CONSTRAINT IF EXISTS ex_booking_no_overlap")
    with op.batch_alter_table("pass_through_cost", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pass_through_cost_order_id"))

    op.drop_table("pass_through_cost")
    with op.batch_alter_table("allowance_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_allowance_entry_startup_month")

    op.drop_table("allowance_entry")
    with op.batch_alter_table("training", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_user_id"))
        batch_op.drop_index(batch_op.f("ix_training_resource_id"))

    op.drop_table("training")
    with op.batch_alter_table("service_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_order_startup_id"))
        batch_op.drop_index(batch_op.f("ix_service_order_service_id"))

    op.drop_table("service_order")
    op.drop_table("plan_service")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_startup_site")
        batch_op.drop_index(batch_op.f("ix_membership_plan_id"))

    op.drop_table("membership")
    with op.batch_alter_table("maintenance_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_block_resource_id"))

    op.drop_table("maintenance_block")
    with op.batch_alter_table("lease", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lease_startup_id"))
        batch_op.drop_index(batch_op.f("ix_lease_space_id"))

    op.drop_table("lease")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_user_id"))
        batch_op.drop_index("ix_booking_startup_start")
        batch_op.drop_index("ix_booking_resource_start")

    op.drop_table("booking")
    with op.batch_alter_table("tax_rate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_rate_site_id"))

    op.drop_table("tax_rate")
    with op.batch_alter_table("space", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_space_site_id"))

    op.drop_table("space")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_site_id"))
        batch_op.drop_index(batch_op.f("ix_resource_category"))

    op.drop_table("resource")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_site_id"))

    op.drop_table("plan")
    with op.batch_alter_table("facility_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_service_site_id"))

    op.drop_table("facility_service")
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charge_startup_id"))
        batch_op.drop_index("ix_charge_site_period")

    op.drop_table("charge")
    op.drop_table("calendar_feed")
    with op.batch_alter_table("biosafety_clearance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_biosafety_clearance_startup_id"))

    op.drop_table("biosafety_clearance")
    op.drop_table("site")
