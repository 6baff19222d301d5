"""System group, mail and notifications: GetEmailTemplates, SendEmail, SendAdminEmail,
TriggerNotificationEvent. Messages are queued in the outbox; automation sends them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models.mail import EmailTemplate
from bridge.services.mail import (
    find_template,
    send_admin_email,
    send_custom_email,
    send_template_email,
    trigger_notification,
)

from ..params import as_list, decode_serialized_b64
from ..registry import ApiError, ApiRequest, action

CUSTOM_TYPES = ("general", "product", "domain", "invoice", "support", "affiliate")
SEND_FAILED = "Sending Failed. Please see documentation."
MERGE_NOTE = "merge fields are {$name} substitutions; Smarty logic is not evaluated"


@action("GetEmailTemplates")
def get_email_templates(req: ApiRequest) -> dict[str, Any]:
    """Templates of one type (all when not given) in one language (default: the default)."""
    query = select(EmailTemplate).where(EmailTemplate.language == req.text("language"))
    if req.text("type"):
        query = query.where(EmailTemplate.kind == req.text("type").lower())
    rows = [{"id": str(t.id), "name": t.name, "subject": t.subject,
             "custom": "1" if t.custom else "0"}
            for t in req.session.scalars(query.order_by(EmailTemplate.name))]
    return {"totalresults": len(rows), "emailtemplates": {"emailtemplate": rows}}


def _variables(req: ApiRequest, name: str, message: str) -> dict[str, Any]:
    raw = req.params.get(name)
    if raw in (None, ""):
        return {}
    try:
        values = decode_serialized_b64(raw, name)
    except ValueError:
        raise ApiError(message) from None
    return {str(k): v for k, v in values.items() if not isinstance(v, dict)}


@action("SendEmail", status="partial", notes="queued in the outbox for automation to send; "
                                              "affiliate mail is refused; " + MERGE_NOTE)
def send_email(req: ApiRequest) -> dict[str, Any]:
    """Queue a client email from a template (``messagename`` + ``id``) or a custom one."""
    name = req.text("messagename")
    custom_type = req.text("customtype").lower()
    variables = _variables(req, "customvars", "The custom variables you provided are invalid.")
    related = req.integer("id", message=SEND_FAILED)
    if name:
        try:
            template = find_template(req.session, name)
        except NotFound:
            raise ApiError("Email Template not found") from None
        if template.disabled:
            raise ApiError("Email Template is disabled")
        if related is None:
            raise ApiError("A related ID is required")
        try:
            send_template_email(req.session, name, related, variables=variables)
        except (NotFound, Conflict, ValidationFailed) as exc:
            raise ApiError(SEND_FAILED) from exc
        return {}
    if not custom_type:
        raise ApiError("You must provide either an existing email template name or a custom "
                       "message type")
    if custom_type not in CUSTOM_TYPES:
        raise ApiError("Invalid message type provided")
    if not req.text("customsubject"):
        raise ApiError("A subject is required for a custom message")
    body = str(req.params.get("custommessage") or "")
    if not body.strip():
        raise ApiError("A message body is required for a custom message")
    if related is None:
        raise ApiError("A related ID is required")
    try:
        send_custom_email(req.session, custom_type, related, req.text("customsubject"), body,
                          variables=variables)
    except (NotFound, ValidationFailed) as exc:
        raise ApiError(SEND_FAILED) from exc
    return {}


@action("SendAdminEmail", status="partial",
        notes="queued in the outbox to every enabled admin (of the department for support "
              "mail); " + MERGE_NOTE)
def send_admin_email_action(req: ApiRequest) -> dict[str, Any]:
    """Queue a staff notification from an admin template or a custom subject and body."""
    name = req.text("messagename")
    kind = req.text("type", "system").lower()
    variables = _variables(req, "mergefields", "The merge fields you provided are invalid.")
    if name:
        try:
            find_template(req.session, name)
        except NotFound:
            raise ApiError("Email Template not found") from None
    elif not req.text("customsubject") or not str(req.params.get("custommessage") or "").strip():
        raise ApiError("Provide messagename, or customsubject and custommessage")
    try:
        send_admin_email(req.session, template_name=name, subject=req.text("customsubject"),
                         body=str(req.params.get("custommessage") or ""), kind=kind,
                         department_id=req.integer("deptid"), variables=variables)
    except ValidationFailed as exc:
        raise ApiError(exc.message) from exc
    return {}


@action("TriggerNotificationEvent",
        notes="emitted as the core event notification_triggered for notification plugins")
def trigger_notification_event(req: ApiRequest) -> dict[str, Any]:
    """Raise a custom notification for the notification plugins."""
    identifier = req.require("notification_identifier", "API Notification Events require a "
                             "identifier string to be passed.")
    title = req.require("title", "API Notification Events require a title to be provided.")
    message = req.require("message", "API Notification Events require a message to be "
                          "provided.")
    attributes = [a for a in as_list(req.params.get("attributes")) if isinstance(a, dict)]
    trigger_notification(req.session, identifier, title, message, url=req.text("url"),
                         status=req.text("status"), style=req.text("statusStyle"),
                         attributes=attributes)
    return {}
