"""Domain errors of admissions, each with its HTTP status."""

from __future__ import annotations

from incubator.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed


class DeadlinePassed(Conflict):
    title = "The deadline has passed"
    type_slug = "deadline-passed"


class ApplicationsClosed(Conflict):
    title = "Applications are closed"
    type_slug = "applications-closed"


class DuplicateApplication(Conflict):
    title = "Already applied"
    type_slug = "duplicate-application"


class MissingAnswers(ValidationFailed):
    title = "Some required answers are missing"


class CapacityExceeded(Conflict):
    title = "The cohort is full"
    type_slug = "capacity-exceeded"


class AssignmentImpossible(Conflict):
    """Raised by automatic assignment when the reviewer pool cannot cover what is asked."""

    title = "Not enough reviewer capacity"
    type_slug = "assignment-impossible"


class ConflictNotDeclared(PermissionDenied):
    title = "Declare any conflict of interest first"
    type_slug = "conflict-not-declared"


class AlreadyReleased(InvalidTransition):
    title = "Decisions already released"
    type_slug = "already-released"
