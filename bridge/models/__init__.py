"""The core's SQLAlchemy models, one module per aggregate; importing this registers them all."""

from __future__ import annotations

from .access import Admin, AdminRole, ApiCredential, ApiRole, User, UserClient
from .affiliates import Affiliate
from .automation import AutomationMark, AutomationRun, JobLock
from .billing import (
    BillableItem,
    CreditEntry,
    Invoice,
    InvoiceItem,
    PayMethod,
    TaxRule,
    Transaction,
)
from .blocklists import BannedIp, BlockedSender
from .catalog import (
    Addon,
    ConfigOption,
    ConfigOptionGroup,
    ConfigOptionValue,
    Price,
    Product,
    ProductGroup,
    Promotion,
)
from .clients import Client, ClientGroup, ClientNote, Contact
from .content import Announcement, PredefinedReply, PredefinedReplyCategory
from .domains import Domain, DomainField, Tld
from .enums import (
    AuthorType,
    ClientStatus,
    DomainStatus,
    InvoiceItemType,
    InvoiceStatus,
    OrderStatus,
    PayType,
    ProductType,
    PromotionType,
    ServiceStatus,
    TicketPriority,
    TransactionKind,
)
from .imports import ImportCheckpoint, ImportRun
from .mail import EmailTemplate, OutboxMessage
from .orders import Order
from .quotes import Quote, QuoteItem, QuoteStage
from .services import (
    CancellationRequest,
    ModuleQueueItem,
    Server,
    ServerGroup,
    Service,
    ServiceAddon,
    ServiceConfigOption,
)
from .sso import AccessToken, OAuthCredential
from .support import (
    Ticket,
    TicketAttachment,
    TicketDepartment,
    TicketMessage,
    TicketNote,
    TicketStatus,
)
from .system import (
    ActivityLog,
    Company,
    Currency,
    CustomField,
    CustomFieldValue,
    IdMap,
    ModuleSetting,
    QuarantinedRow,
    Setting,
    TodoItem,
)

__all__ = [
    "AutomationMark", "AutomationRun", "JobLock",
    "ImportCheckpoint", "ImportRun",
    "AccessToken", "Affiliate", "Announcement", "BannedIp", "BlockedSender", "EmailTemplate",
    "OAuthCredential", "OutboxMessage", "PredefinedReply", "PredefinedReplyCategory", "Quote",
    "QuoteItem", "QuoteStage",
    "ActivityLog",
    "Addon",
    "Admin",
    "AdminRole",
    "ApiCredential",
    "ApiRole",
    "AuthorType",
    "BillableItem",
    "CancellationRequest",
    "Client",
    "ClientGroup",
    "ClientNote",
    "ClientStatus",
    "Company",
    "ConfigOption",
    "ConfigOptionGroup",
    "ConfigOptionValue",
    "Contact",
    "CreditEntry",
    "Currency",
    "CustomField",
    "CustomFieldValue",
    "Domain",
    "DomainField",
    "DomainStatus",
    "IdMap", "ModuleQueueItem", "ModuleSetting", "TodoItem",
    "Invoice",
    "InvoiceItem",
    "InvoiceItemType",
    "InvoiceStatus",
    "Order",
    "OrderStatus",
    "PayMethod",
    "PayType",
    "Price",
    "Product",
    "ProductGroup",
    "ProductType",
    "Promotion",
    "PromotionType",
    "QuarantinedRow",
    "Server",
    "ServerGroup",
    "Service",
    "ServiceAddon",
    "ServiceConfigOption",
    "ServiceStatus",
    "Setting",
    "TaxRule",
    "Ticket",
    "TicketAttachment",
    "TicketDepartment",
    "TicketMessage",
    "TicketNote",
    "TicketPriority",
    "TicketStatus",
    "Tld",
    "Transaction",
    "TransactionKind",
    "User",
    "UserClient",
]
