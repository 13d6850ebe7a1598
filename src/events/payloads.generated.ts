// GENERATED FILE — do not edit. Rendered from fixtures/events/*.schema.json by
// src/events/codegen.ts; run `npm run codegen` after changing a fixture.

/** The names of Norce's event types, in catalog order (category, then name). */
export const EVENT_TYPE_NAMES = [
  "CompanyChangedNotification",
  "CustomerChangedNotification",
  "InvoiceCaptureCompletedEvent",
  "OrderCancelledEvent",
  "OrderConfirmedEvent",
  "OrderDeliveredEvent",
  "OrderPartlyDeliveredEvent",
  "OrderPaymentReceivedEvent",
  "OrderReadyForPickupEvent",
  "OrderReceivedEvent",
  "SubscriptionFailedEvent",
  "SkuChangedNotification",
  "SkuOnHandBreakPointNotification",
  "SkuPriceChangedNotification",
  "TranslationRequestedNotification",
  "SupplierSkuChangedNotification",
  "SupplierSkuOnHandChangedNotification",
  "SupplierSkuPriceChangedNotification",
  "JobCompletedEvent",
] as const;

/** One of Norce's event type names. */
export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];

/**
 * Notification event that a company has been changed. Entities that should be monitored for changes can be specified in the Subscription Settings.
 * Category Customer, notification; schema complete.
 */
export interface CompanyChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier, if company is application unique, see client settings. Format int32. */
  ApplicationId?: number;
  /** Norce internal id for the organization. Format int32. */
  CompanyId: number;
  /** Describes what triggered the event. Read about the different entities here. */
  EntityChanged: "tClientCompany" | "tClientCompanyAddress" | "tClientCompanyDeliveryMethod" | "tClientCompanyDiscount" | "tClientCompanyDivision" | "tClientCompanyFlag" | "tClientCompanyInfo" | "tClientCompanyPaymentMethod" | "tClientCompanyPriceList" | "tClientCustomer" | "tClientCustomerCompany";
}

/**
 * Notification event that a company has been changed. Entities that should be monitored for changes can be specified in the Subscription Settings.
 * Category Customer, notification; schema complete.
 */
export interface CustomerChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier, if company is application unique, see client settings. Format int32. */
  ApplicationId?: number;
  /** Norce internal id for the person or contact. Format int32. */
  CustomerId: number;
  /** Describes what triggered the event. Read about the different entities here. */
  EntityChanged: "tApplicationAccount" | "tClientCustomer" | "tClientCustomerAddress" | "tClientCustomerDivision" | "tClientCustomerFlag" | "tClientCustomerInfo" | "tClientCustomerPriceList";
}

/**
 * This event gets triggered when an invoice has been captured by the InvoiceCpature service.
 * Category Order, event; schema complete.
 */
export interface InvoiceCaptureCompletedEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** Norce internal id for the invoice. Format int32. */
  CapturedInvoiceId: number;
  /** This is the state of the captured invoice. */
  State: "Captured" | "Error";
}

/**
 * This event gets triggered when Norce has received a request to cancel an order via Admin or Connect (v4).
 * Category Order, event; schema complete.
 */
export interface OrderCancelledEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** Norce internal id for the order. Format int64. */
  OrderId: number;
  /** This is the order identifier usually from the erp-system. */
  OrderNo: string;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). */
  ClientOrderRef: string;
  /** This is the phone number of the buyer. */
  CellPhone?: string;
  /** This is the first name of the buyer. */
  FirstName?: string;
  /** This is the last name of the buyer. */
  LastName?: string;
  /** This is the source of the order. 'WEB' for Norce orders, name of marketplace or POS system is also possible. */
  Source: string;
}

/**
 * This event gets triggered when Norce has received an order confirmation from the erp-system. These events are delivered only once for each order and can be used to send confirmation e-mails/texts.
 * Category Order, event; schema complete.
 */
export interface OrderConfirmedEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** Norce internal id for the order. Format int64. */
  OrderId: number;
  /** This is the order identifier usually from the erp-system. */
  OrderNo: string;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). */
  ClientOrderRef: string;
  /** This is the phone number of the buyer. */
  CellPhone?: string;
  /** This is the first name of the buyer. */
  FirstName?: string;
  /** This is the last name of the buyer. */
  LastName?: string;
  /** This is the source of the order. 'WEB' for Norce orders, name of marketplace or POS system is also possible. */
  Source: string;
}

/**
 * OrderDeliveredEvent
 * Category Order, event; schema partial.
 */
export interface OrderDeliveredEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. Modeled: inferred, not seen in Norce's docs. */
  ApplicationId?: number;
  /** Norce internal id for the order. Format int64. Modeled: inferred, not seen in Norce's docs. */
  OrderId?: number;
  /** This is the order identifier usually from the erp-system. Modeled: inferred, not seen in Norce's docs. */
  OrderNo?: string;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). Modeled: inferred, not seen in Norce's docs. */
  ClientOrderRef?: string;
  /** This is the phone number of the buyer. Modeled: inferred, not seen in Norce's docs. */
  CellPhone?: string;
  /** This is the first name of the buyer. Modeled: inferred, not seen in Norce's docs. */
  FirstName?: string;
  /** This is the last name of the buyer. Modeled: inferred, not seen in Norce's docs. */
  LastName?: string;
  /** This is the source of the order. 'WEB' for Norce orders, name of marketplace or POS system is also possible. Modeled: inferred, not seen in Norce's docs. */
  Source?: string;
}

/**
 * Order partly delivered event
 * Category Order, event; schema complete.
 */
export interface OrderPartlyDeliveredEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** Norce internal id for the order. Format int64. */
  OrderId: number;
  /** This is the order identifier usually from the erp-system. */
  OrderNo: string;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). */
  ClientOrderRef: string;
  /** This is the phone number of the buyer. */
  CellPhone?: string;
  /** This is the first name of the buyer. */
  FirstName?: string;
  /** This is the last name of the buyer. */
  LastName?: string;
  /** This is the source of the order. 'WEB' for Norce orders, name of marketplace or POS system is also possible. */
  Source: string;
}

/**
 * Order payment received event
 * Category Order, event; schema complete.
 */
export interface OrderPaymentReceivedEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). */
  ClientOrderRef: string;
  /** This is the order identifier usually from the erp-system. */
  ErpOrderNo: string;
  /** This is the payment code of the payment. Unique identifier from Norce. */
  PaymentCode: string;
  /** This is the payment method code of the payment, the code configured on the payment method in Norce. */
  PaymentMethodCode?: string;
  /** This is the payment reference from the Payment Service Provider. */
  PaymentRef?: string;
  /** This is the amount paid. Format double. */
  Amount?: number;
  /** This is the currency code of the payment. In a three letter ISO standard format. Like 'USD', 'EUR', or 'SEK' for example. */
  CurrencyCode?: string;
}

/**
 * OrderReadyForPickupEvent
 * Category Order, event; schema complete.
 */
export interface OrderReadyForPickupEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** Norce internal id for the order. Format int64. */
  OrderId: number;
  /** This is the order identifier usually from the erp-system. */
  OrderNo: string;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). */
  ClientOrderRef: string;
  /** This is the phone number of the buyer. */
  CellPhone?: string;
  /** This is the first name of the buyer. */
  FirstName?: string;
  /** This is the last name of the buyer. */
  LastName?: string;
  /** This is the source of the order. 'WEB' for Norce orders, name of marketplace or POS system is also possible. */
  Source: string;
  /** This is the drop point reference. */
  DropPointCode?: string;
}

/**
 * Order received event
 * Category Order, event; schema complete.
 */
export interface OrderReceivedEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** This is the quotation/basket id from Norce or any external order reference (when an external order). */
  ClientOrderRef: string;
  /** This is the email address of the buyer. */
  Email?: string;
  /** This is the phone number of the buyer. */
  CellPhone?: string;
  /** This is the first name of the buyer. */
  FirstName?: string;
  /** This is the last name of the buyer. */
  LastName?: string;
  /** This is the source of the order. 'WEB' for Norce orders, name of marketplace or POS system is also possible. */
  Source: string;
}

/**
 * SubscriptionFailedEvent
 * Category Order, event; schema complete.
 */
export interface SubscriptionFailedEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId: number;
  /** Norce subscription id. Format int32. */
  SubscriptionId?: number;
  /** This is the Norce recurring order id. Format int32. */
  RecurringOrderId?: number;
  /** This is the Norce recurring order schedule id. Format int32. */
  RecurringOrderScheduleId?: number;
  /** This is the current basket. Format int32. */
  BasketId?: number;
  /** This is the email address of the buyer. */
  Email?: string;
  /** This is the phone number of the buyer. */
  CellPhone?: string;
  /** This is the first name of the buyer. */
  FirstName?: string;
  /** This is the last name of the buyer. */
  LastName?: string;
  /** This is the error message. */
  ErrorMessage?: string;
}

/**
 * Product changed notification
 * Category Product, notification; schema complete.
 */
export interface SkuChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** This is the part number of the product changed. */
  PartNo: string;
  /** Describes what triggered the event. Read about the different entities here. */
  EntityChanged: "tApplicationPriceList" | "tCategory" | "tCategoryCulture" | "tCategorySalesArea" | "tClientManufacturer" | "tClientProductSku" | "tClientProductSkuCulture" | "tClientProductSkuOnHand" | "tClientProductSkuPriceList" | "tClientProductSkuSalesArea";
}

/**
 * Notification event that gets triggered when the OnHand minimum value has been reached for a specific product.
 * Category Product, notification; schema complete.
 */
export interface SkuOnHandBreakPointNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** This is the product that has a changed price. */
  PartNo: string;
  /** This is internal id in Norce for the Warehouse. Format int32. */
  WarehouseId: number;
  /** This is the external code for the Warehouse. */
  WarehouseCode?: string;
  /** This is internal id in Norce for the Location of the Warehouse. Format int32. */
  LocationId: number;
  /** This is the external code for the Location of the Warehouse. */
  LocationCode?: string;
  /** This is the current on hand value that triggered the event. Format double. */
  OnHandValue: number;
  /** This is the configured min value for the warehouse/location for the product. Format double. */
  MinimumValue: number;
}

/**
 * Notification event that gets triggered when the price sale value has changed for a specific product.
 * Category Product, notification; schema complete.
 */
export interface SkuPriceChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** This is the product that has a changed price. */
  PartNo: string;
  /** This is the internal id in Norce for the price list that has a changed price on the product. Format int32. */
  PricelistId: number;
  /** This is the external codde for the price list that has a changed price on the product. */
  PricelistCode?: string;
  /** This is the actual changed price. Format double. */
  PriceSaleValue: number;
  /** This is the quantity break on the price. Format double. */
  QuantityBreak?: number;
}

/**
 * TranslationRequestedNotification
 * Category Product, notification; schema partial.
 */
export interface TranslationRequestedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** This is the part number of the product needing translation. */
  PartNo: string;
  /** Describes what triggered the event. Read about the different entities here. Modeled: inferred, not seen in Norce's docs. */
  EntityChanged: string;
}

/**
 * Notification event that a Supplier product has been changed. Entities that should be monitored for changes can be specified in the Event Settings.
 * Category Supplier, notification; schema complete.
 */
export interface SupplierSkuChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** Internal id in Norce for the Supplier. Format int32. */
  SupplierId: number;
  /** This is the part number of the supplier product. */
  PartNo: string;
  /** Describes what triggered the event. Read about the different entities here. */
  EntityChanged: "tSupplierProductSku" | "tSupplierProductSkuClient";
}

/**
 * Notification event that a Supplier product stock has been changed. Entities that should be monitored for changes can be specified in the Event Settings.
 * Category Supplier, notification; schema complete.
 */
export interface SupplierSkuOnHandChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** Internal id in Norce for the Supplier. Format int32. */
  SupplierId: number;
  /** This is the part number of the supplier product. */
  PartNo: string;
  /** Describes what triggered the event. Read about the different entities here. */
  EntityChanged: "tSupplierProductSkuOnHand";
}

/**
 * Notification event that gets triggered when the supplier cost value has changed for a specific product.
 * Category Supplier, notification; schema partial.
 * Not known: Fields after PartNo were not seen (the description mentions a supplier cost value); none are generated.
 */
export interface SupplierSkuPriceChangedNotification {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** Internal id in Norce for the Supplier. Format int32. */
  SupplierId: number;
  PartNo?: string;
}

/**
 * This event gets triggered when Norce has completed one of its internal jobs. These events can be used to get information about when a job has finished.
 * Category System, event; schema complete.
 */
export interface JobCompletedEvent {
  /** Client identifier. Format int32. */
  ClientId: number;
  /** Application identifier. Format int32. */
  ApplicationId?: number;
  /** This is the JobId of the job in Norce. Format int32. */
  JobId: number;
  /** This is the status of the outcome of the job, should be 2, 3 or 4. (1=Initialized, 2=Succeeded, 3=Failed, 4=Validation failed, 5=Validating, 6=Queued). Format int32. */
  StatusId: 1 | 2 | 3 | 4 | 5 | 6;
}

/** The payload type of each event type. */
export interface EventPayloads {
  CompanyChangedNotification: CompanyChangedNotification;
  CustomerChangedNotification: CustomerChangedNotification;
  InvoiceCaptureCompletedEvent: InvoiceCaptureCompletedEvent;
  OrderCancelledEvent: OrderCancelledEvent;
  OrderConfirmedEvent: OrderConfirmedEvent;
  OrderDeliveredEvent: OrderDeliveredEvent;
  OrderPartlyDeliveredEvent: OrderPartlyDeliveredEvent;
  OrderPaymentReceivedEvent: OrderPaymentReceivedEvent;
  OrderReadyForPickupEvent: OrderReadyForPickupEvent;
  OrderReceivedEvent: OrderReceivedEvent;
  SubscriptionFailedEvent: SubscriptionFailedEvent;
  SkuChangedNotification: SkuChangedNotification;
  SkuOnHandBreakPointNotification: SkuOnHandBreakPointNotification;
  SkuPriceChangedNotification: SkuPriceChangedNotification;
  TranslationRequestedNotification: TranslationRequestedNotification;
  SupplierSkuChangedNotification: SupplierSkuChangedNotification;
  SupplierSkuOnHandChangedNotification: SupplierSkuOnHandChangedNotification;
  SupplierSkuPriceChangedNotification: SupplierSkuPriceChangedNotification;
  JobCompletedEvent: JobCompletedEvent;
}

/** The payload of event type `T` (a union when `T` is a union). */
export type EventPayload<T extends EventTypeName = EventTypeName> = EventPayloads[T];
