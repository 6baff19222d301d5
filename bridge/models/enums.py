"""Canonical status vocabularies of the core.

Each facade maps its own words onto these (WHMCS ``Active`` / Blesta ``active``). Values are
stored as short strings (no native DB enums) so the schema is identical on every backend.
"""

from __future__ import annotations

from enum import StrEnum


class ClientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"
    FRAUD = "fraud"


class OrderStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    FRAUD = "fraud"


class ServiceStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"
    FRAUD = "fraud"
    COMPLETED = "completed"


class DomainStatus(StrEnum):
    PENDING = "pending"
    PENDING_REGISTRATION = "pending_registration"
    PENDING_TRANSFER = "pending_transfer"
    ACTIVE = "active"
    GRACE = "grace"
    REDEMPTION = "redemption"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FRAUD = "fraud"
    TRANSFERRED_AWAY = "transferred_away"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    COLLECTIONS = "collections"
    PAYMENT_PENDING = "payment_pending"


class InvoiceItemType(StrEnum):
    SERVICE = "service"
    ADDON = "addon"
    DOMAIN_REGISTER = "domain_register"
    DOMAIN_TRANSFER = "domain_transfer"
    DOMAIN_RENEW = "domain_renew"
    SETUP = "setup"
    PROMO = "promo"
    LATE_FEE = "late_fee"
    ADD_FUNDS = "add_funds"
    UPGRADE = "upgrade"
    ITEM = "item"
    INVOICE = "invoice"
    CUSTOM = "custom"


class TransactionKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class ProductType(StrEnum):
    HOSTING = "hosting"
    RESELLER = "reseller"
    SERVER = "server"
    DOMAIN = "domain"
    OTHER = "other"


class PayType(StrEnum):
    FREE = "free"
    ONETIME = "onetime"
    RECURRING = "recurring"


class PromotionType(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    PRICE_OVERRIDE = "price_override"
    FREE_SETUP = "free_setup"


class TicketPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    EMERGENCY = "emergency"


class AuthorType(StrEnum):
    CLIENT = "client"
    CONTACT = "contact"
    ADMIN = "admin"
    GUEST = "guest"
    SYSTEM = "system"
