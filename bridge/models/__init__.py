"""The core's SQLAlchemy models, one module per aggregate; importing this registers them all."""

from __future__ import annotations

from .access import Admin, AdminRole, ApiCredential, ApiRole, User, UserClient
from .billing import (
    BillableItem,
    CreditEntry,
    Invoice,
    InvoiceItem,
    PayMethod,
    TaxRule,
    Transaction,
)
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
from .orders import Order
from .services import (
    CancellationRequest,
    Server,
    ServerGroup,
    Service,
    ServiceAddon,
    ServiceConfigOption,
)
from .support import Ticket, TicketAttachment, TicketDepartment, TicketMessage, TicketNote, TicketStatus
from .system import ActivityLog, Company, Currency, CustomField, CustomFieldValue, IdMap, QuarantinedRow, Setting

__all__ = [
    "ActivityLog", "Addon", "Admin", "AdminRole", "ApiCredential", "ApiRole", "AuthorType",
    "BillableItem", "CancellationRequest", "Client", "ClientGroup", "ClientNote", "ClientStatus",
    "Company", "ConfigOption", "ConfigOptionGroup", "ConfigOptionValue", "Contact", "CreditEntry",
    "Currency", "CustomField", "CustomFieldValue", "Domain", "DomainField", "DomainStatus", "IdMap",
    "Invoice", "InvoiceItem", "InvoiceItemType", "InvoiceStatus", "Order", "OrderStatus", "PayMethod",
    "PayType", "Price", "Product", "ProductGroup", "ProductType", "Promotion", "PromotionType",
    "QuarantinedRow", "Server", "ServerGroup", "Service", "ServiceAddon", "ServiceConfigOption",
    "ServiceStatus", "Setting", "TaxRule", "Ticket", "TicketAttachment", "TicketDepartment",
    "TicketMessage", "TicketNote", "TicketPriority", "TicketStatus", "Tld", "Transaction",
    "TransactionKind", "User", "UserClient",
]
