"""Input schemas of the ticket use-cases (core field names only)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from bridge.models.enums import TicketPriority

PRIORITIES = [p.value for p in TicketPriority]
_TEXT = validate.Regexp(r"\s*\S", error="must not be blank")  # Regexp anchors at the start
_EMAIL = validate.Email()


def _email_or_blank(value: str) -> None:
    """Guests give an email; clients need not, so "" passes."""
    if value:
        _EMAIL(value)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class AttachmentSchema(_Strict):
    """Metadata of a file already put in storage (the bytes never pass through here)."""

    filename = fields.String(required=True, validate=[validate.Length(min=1, max=255), _TEXT])
    stored_name = fields.String(load_default="", validate=validate.Length(max=255))
    size = fields.Integer(load_default=0, validate=validate.Range(min=0))
    content_type = fields.String(load_default="", validate=validate.Length(max=128))


class TicketOpenSchema(_Strict):
    """A new ticket: a client's (``client_id``, optional ``contact_id``) or a guest's."""

    department_id = fields.Integer(required=True)
    client_id = fields.Integer(allow_none=True, load_default=None)
    contact_id = fields.Integer(allow_none=True, load_default=None)
    name = fields.String(load_default="", validate=validate.Length(max=255))
    email = fields.String(load_default="", validate=[validate.Length(max=255), _email_or_blank])
    subject = fields.String(required=True, validate=[validate.Length(max=255), _TEXT])
    message = fields.String(required=True, validate=_TEXT)
    priority = fields.String(load_default=TicketPriority.MEDIUM.value,
                             validate=validate.OneOf(PRIORITIES))
    service_id = fields.Integer(allow_none=True, load_default=None)
    domain_id = fields.Integer(allow_none=True, load_default=None)
    cc = fields.List(fields.Email(), load_default=list)
    admin_id = fields.Integer(allow_none=True, load_default=None)
    ip_address = fields.String(load_default="", validate=validate.Length(max=45))
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list)


class AttachmentListSchema(_Strict):
    """Wrapper to validate the attachments of a reply or a note."""

    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list)


class TicketUpdateSchema(_Strict):
    """What staff may change on a ticket with ``update_ticket`` (all optional)."""

    status = fields.String(validate=validate.Length(min=1, max=64))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    department_id = fields.Integer()
    subject = fields.String(validate=[validate.Length(max=255), _TEXT])
    assigned_admin_id = fields.Integer(allow_none=True)
