"""The SDL of the Admin API subset, with Shopify's own type, field and enum names."""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema, build_schema

WEBHOOK_TOPICS = (
    "APP_UNINSTALLED",
    "CHECKOUTS_CREATE",
    "CHECKOUTS_UPDATE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
    "CUSTOMERS_DELETE",
    "CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE",
    "ORDERS_CREATE",
    "ORDERS_PAID",
    "ORDERS_UPDATED",
    "ORDERS_FULFILLED",
    "ORDERS_CANCELLED",
    "ORDERS_EDITED",
    "FULFILLMENTS_UPDATE",
    "FULFILLMENT_EVENTS_CREATE",
    "REFUNDS_CREATE",
    "SHOP_UPDATE",
)

SDL = (
    """
scalar DateTime
scalar Decimal
scalar Money
scalar URL
scalar UnsignedInt64

interface Node {
  id: ID!
}

enum CurrencyCode { USD EUR GBP CAD AUD NZD JPY CHF SEK DKK NOK }
# A subset of Shopify's CountryCode (ISO 3166-1 alpha-2): the countries dev stores use.
enum CountryCode { US CA GB FR DE ES IT BE NL CH AT LU PT DK SE NO AU NZ JP IE }
enum DiscountStatus { ACTIVE EXPIRED SCHEDULED }
enum DiscountBuyerSelection { ALL }
enum WebhookSubscriptionFormat { JSON XML }
enum WebhookSubscriptionTopic { """
    + " ".join(WEBHOOK_TOPICS)
    + """ }
enum CustomerEmailMarketingState { NOT_SUBSCRIBED PENDING SUBSCRIBED UNSUBSCRIBED REDACTED INVALID }
enum CustomerMarketingOptInLevel { SINGLE_OPT_IN CONFIRMED_OPT_IN UNKNOWN }
enum CountPrecision { EXACT AT_LEAST }
# The Admin API's sort keys for `products` (2026-10): no BEST_SELLING, which only
# Collection.products (ProductCollectionSortKeys) and the Storefront API offer.
enum ProductSortKeys {
  CREATED_AT ID INVENTORY_TOTAL PRODUCT_TYPE PUBLISHED_AT RELEVANCE TITLE UPDATED_AT VENDOR
}
enum ProductStatus { ACTIVE ARCHIVED DRAFT }
enum OrderSortKeys {
  CREATED_AT CUSTOMER_NAME DESTINATION FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER
  PO_NUMBER PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT
}
enum CustomerSortKeys { CREATED_AT ID LOCATION NAME RELEVANCE UPDATED_AT }
enum AbandonedCheckoutSortKeys { CHECKOUT_ID CREATED_AT CUSTOMER_NAME ID RELEVANCE TOTAL_PRICE }
enum OrderDisplayFinancialStatus {
  AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}
enum OrderDisplayFulfillmentStatus {
  FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT REQUEST_DECLINED
  RESTOCKED SCHEDULED UNFULFILLED
}
enum FulfillmentStatus { CANCELLED ERROR FAILURE SUCCESS OPEN PENDING }
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
enum BulkOperationType { MUTATION QUERY }
enum BulkOperationUserErrorCode {
  INVALID LIMIT_REACHED NO_SUCH_FILE OPERATION_IN_PROGRESS INTERNAL_FILE_SERVER_ERROR
}
enum DiscountErrorCode {
  BLANK INVALID TAKEN TOO_LONG TOO_SHORT PRESENT EQUAL_TO GREATER_THAN GREATER_THAN_OR_EQUAL_TO
  LESS_THAN LESS_THAN_OR_EQUAL_TO INCLUSION EXCEEDED_MAX CONFLICT DUPLICATE IMPLICIT_DUPLICATE
  INTERNAL_ERROR MISSING_ARGUMENT TOO_MANY_ARGUMENTS VALUE_OUTSIDE_RANGE END_DATE_BEFORE_START_DATE
  MINIMUM_SUBTOTAL_AND_QUANTITY_RANGE_BOTH_PRESENT
}
enum MetafieldsSetUserErrorCode {
  APP_NOT_AUTHORIZED BLANK CAPABILITY_VIOLATION INCLUSION INTERNAL_ERROR INVALID
  INVALID_COMPARE_DIGEST INVALID_TYPE INVALID_VALUE LESS_THAN_OR_EQUAL_TO PRESENT STALE_OBJECT
  TAKEN TOO_LONG TOO_SHORT
}
enum CustomerEmailMarketingConsentUpdateUserErrorCode {
  INVALID
  INCLUSION
  INTERNAL_ERROR
  MISSING_ARGUMENT
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Count { count: Int! precision: CountPrecision! }
type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }

type Domain implements Node { id: ID! host: String! url: URL! sslEnabled: Boolean! }
type ShopPlan { displayName: String! partnerDevelopment: Boolean! shopifyPlus: Boolean! }
type Shop implements Node {
  id: ID!
  name: String!
  email: String!
  contactEmail: String!
  myshopifyDomain: String!
  currencyCode: CurrencyCode!
  ianaTimezone: String!
  primaryDomain: Domain!
  plan: ShopPlan!
  url: URL!
  metafield(namespace: String, key: String!): Metafield
  billingAddress: ShopAddress! @deprecated(reason: "Use `shopAddress` instead.")
  shopAddress: ShopAddress!
}

# https://shopify.dev/docs/api/admin-graphql/latest/objects/ShopAddress (Shop.shopAddress from
# 2026-01; billingAddress, deprecated, has the same structure and values).
type ShopAddress implements Node {
  id: ID!
  address1: String
  address2: String
  city: String
  company: String
  coordinatesValidated: Boolean!
  country: String
  countryCodeV2: CountryCode
  formatted(withCompany: Boolean = true): [String!]!
  formattedArea: String
  latitude: Float
  longitude: Float
  phone: String
  province: String
  provinceCode: String
  zip: String
}

type ShopLocale { locale: String! name: String! primary: Boolean! published: Boolean! }

type Metafield implements Node {
  id: ID!
  namespace: String!
  key: String!
  type: String!
  value: String!
  ownerType: String!
  createdAt: DateTime!
  updatedAt: DateTime!
}
type MetafieldEdge { cursor: String! node: Metafield! }
type MetafieldConnection { edges: [MetafieldEdge!]! nodes: [Metafield!]! pageInfo: PageInfo! }

type CustomerEmailMarketingConsentState {
  marketingState: CustomerEmailMarketingState!
  marketingOptInLevel: CustomerMarketingOptInLevel
  consentUpdatedAt: DateTime
}
enum StoreCreditSystemEvent {
  ADJUSTMENT ORDER_CANCELLATION ORDER_PAYMENT ORDER_REFUND PAYMENT_FAILURE PAYMENT_RETURNED
  TAX_FINALIZATION
}
enum TransactionSortKeys { CREATED_AT EXPIRES_AT }
enum StoreCreditAccountCreditUserErrorCode {
  ACCOUNT_NOT_FOUND CREDIT_LIMIT_EXCEEDED EXPIRES_AT_IN_PAST MISMATCHING_CURRENCY
  NEGATIVE_OR_ZERO_AMOUNT OWNER_NOT_FOUND UNSUPPORTED_CURRENCY
}
interface HasStoreCreditAccounts {
  storeCreditAccounts(
    first: Int
    last: Int
    after: String
    before: String
    reverse: Boolean
    query: String
  ): StoreCreditAccountConnection!
}
interface StoreCreditAccountTransaction {
  account: StoreCreditAccount!
  amount: MoneyV2!
  balanceAfterTransaction: MoneyV2!
  createdAt: DateTime!
  event: StoreCreditSystemEvent!
}
type StoreCreditAccountCreditTransaction implements Node & StoreCreditAccountTransaction {
  id: ID!
  account: StoreCreditAccount!
  amount: MoneyV2!
  balanceAfterTransaction: MoneyV2!
  createdAt: DateTime!
  event: StoreCreditSystemEvent!
  expiresAt: DateTime
  remainingAmount: MoneyV2!
}
type StoreCreditAccountTransactionEdge { cursor: String! node: StoreCreditAccountTransaction! }
type StoreCreditAccountTransactionConnection {
  edges: [StoreCreditAccountTransactionEdge!]!
  nodes: [StoreCreditAccountTransaction!]!
  pageInfo: PageInfo!
}
type StoreCreditAccount implements Node {
  id: ID!
  balance: MoneyV2!
  owner: HasStoreCreditAccounts!
  transactions(
    first: Int
    last: Int
    after: String
    before: String
    reverse: Boolean
    sortKey: TransactionSortKeys
    query: String
  ): StoreCreditAccountTransactionConnection!
}
type StoreCreditAccountEdge { cursor: String! node: StoreCreditAccount! }
type StoreCreditAccountConnection {
  edges: [StoreCreditAccountEdge!]!
  nodes: [StoreCreditAccount!]!
  pageInfo: PageInfo!
}
type StoreCreditAccountCreditUserError {
  field: [String!]
  message: String!
  code: StoreCreditAccountCreditUserErrorCode
}
type StoreCreditAccountCreditPayload {
  storeCreditAccountTransaction: StoreCreditAccountCreditTransaction
  userErrors: [StoreCreditAccountCreditUserError!]!
}
type AccessScope { handle: String! description: String! }
type AppInstallation implements Node { id: ID! accessScopes: [AccessScope!]! }

type Customer implements Node & HasStoreCreditAccounts {
  id: ID!
  legacyResourceId: UnsignedInt64!
  email: String
  firstName: String
  lastName: String
  displayName: String!
  locale: String!
  tags: [String!]!
  numberOfOrders: UnsignedInt64!
  amountSpent: MoneyV2!
  createdAt: DateTime!
  updatedAt: DateTime!
  emailMarketingConsent: CustomerEmailMarketingConsentState
  metafield(namespace: String, key: String!): Metafield
  metafields(first: Int, last: Int, after: String, namespace: String): MetafieldConnection!
  storeCreditAccounts(
    first: Int
    last: Int
    after: String
    before: String
    reverse: Boolean
    query: String
  ): StoreCreditAccountConnection!
}
type CustomerEdge { cursor: String! node: Customer! }
type CustomerConnection { edges: [CustomerEdge!]! nodes: [Customer!]! pageInfo: PageInfo! }

type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }

type LineItem implements Node {
  id: ID!
  title: String!
  variantTitle: String
  quantity: Int!
  sku: String
  originalUnitPriceSet: MoneyBag!
  product: Product
  variant: ProductVariant
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

type FulfillmentTrackingInfo { company: String number: String url: URL }
type Fulfillment implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  status: FulfillmentStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

type Order implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  email: String
  createdAt: DateTime!
  updatedAt: DateTime!
  processedAt: DateTime!
  cancelledAt: DateTime
  checkoutToken: String
  cartToken: String
  customerLocale: String
  currencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  subtotalPriceSet: MoneyBag
  totalPriceSet: MoneyBag!
  totalDiscountsSet: MoneyBag
  discountCodes: [String!]!
  customer: Customer
  lineItems(first: Int, last: Int, after: String): LineItemConnection!
  fulfillments(first: Int): [Fulfillment!]!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

type AbandonedCheckoutLineItem {
  id: ID!
  title: String!
  variantTitle: String
  quantity: Int!
  sku: String
  originalUnitPriceSet: MoneyBag!
  product: Product
  variant: ProductVariant
}
type AbandonedCheckoutLineItemEdge { cursor: String! node: AbandonedCheckoutLineItem! }
type AbandonedCheckoutLineItemConnection {
  edges: [AbandonedCheckoutLineItemEdge!]!
  nodes: [AbandonedCheckoutLineItem!]!
  pageInfo: PageInfo!
}
type AbandonedCheckout implements Node {
  id: ID!
  name: String!
  abandonedCheckoutUrl: URL!
  completedAt: DateTime
  createdAt: DateTime!
  updatedAt: DateTime!
  discountCodes: [String!]!
  note: String!
  taxesIncluded: Boolean!
  customer: Customer
  subtotalPriceSet: MoneyBag!
  totalPriceSet: MoneyBag!
  lineItems(first: Int, last: Int, after: String): AbandonedCheckoutLineItemConnection!
}
type AbandonedCheckoutEdge { cursor: String! node: AbandonedCheckout! }
type AbandonedCheckoutConnection {
  edges: [AbandonedCheckoutEdge!]!
  nodes: [AbandonedCheckout!]!
  pageInfo: PageInfo!
}

type BulkOperation implements Node {
  id: ID!
  status: BulkOperationStatus!
  errorCode: BulkOperationErrorCode
  type: BulkOperationType!
  query: String!
  createdAt: DateTime!
  completedAt: DateTime
  objectCount: UnsignedInt64!
  rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64
  url: URL
  partialDataUrl: URL
}
type BulkOperationUserError {
  field: [String!]
  code: BulkOperationUserErrorCode
  message: String!
}
type BulkOperationRunQueryPayload {
  bulkOperation: BulkOperation
  userErrors: [BulkOperationUserError!]!
}

type DiscountRedeemCode { id: ID! code: String! asyncUsageCount: Int! }
type DiscountRedeemCodeEdge { cursor: String! node: DiscountRedeemCode! }
type DiscountRedeemCodeConnection {
  edges: [DiscountRedeemCodeEdge!]!
  nodes: [DiscountRedeemCode!]!
  pageInfo: PageInfo!
}

type DiscountPercentage { percentage: Float! }
type DiscountAmount { amount: MoneyV2! appliesOnEachItem: Boolean! }
union DiscountCustomerGetsValue = DiscountPercentage | DiscountAmount
type AllDiscountItems { allItems: Boolean! }
union DiscountItems = AllDiscountItems
type DiscountCustomerGets { value: DiscountCustomerGetsValue! items: DiscountItems! }
type DiscountMinimumSubtotal { greaterThanOrEqualToSubtotal: MoneyV2! }
type DiscountMinimumQuantity { greaterThanOrEqualToQuantity: UnsignedInt64! }
union DiscountMinimumRequirement = DiscountMinimumSubtotal | DiscountMinimumQuantity
type DiscountCombinesWith {
  orderDiscounts: Boolean!
  productDiscounts: Boolean!
  shippingDiscounts: Boolean!
}
type DiscountBuyerSelectionAll { all: DiscountBuyerSelection! }
type DiscountCustomers { customers: [Customer!]! }
type Segment implements Node { id: ID! name: String! query: String! creationDate: DateTime! }
type DiscountCustomerSegments { segments: [Segment!]! }
union DiscountContext = DiscountBuyerSelectionAll | DiscountCustomers | DiscountCustomerSegments
type DiscountCustomerAll { allCustomers: Boolean! }
union DiscountCustomerSelection = DiscountCustomerAll | DiscountCustomers | DiscountCustomerSegments

type DiscountCodeBasic {
  title: String!
  summary: String!
  status: DiscountStatus!
  startsAt: DateTime!
  endsAt: DateTime
  createdAt: DateTime!
  usageLimit: Int
  appliesOncePerCustomer: Boolean!
  asyncUsageCount: Int!
  codesCount: Count
  codes(first: Int, last: Int, after: String): DiscountRedeemCodeConnection!
  customerGets: DiscountCustomerGets!
  minimumRequirement: DiscountMinimumRequirement
  combinesWith: DiscountCombinesWith!
  context: DiscountContext!
  customerSelection: DiscountCustomerSelection!
}
type DiscountCodeFreeShipping {
  title: String!
  summary: String!
  status: DiscountStatus!
  startsAt: DateTime!
  endsAt: DateTime
  createdAt: DateTime!
  usageLimit: Int
  appliesOncePerCustomer: Boolean!
  asyncUsageCount: Int!
  codesCount: Count
  codes(first: Int, last: Int, after: String): DiscountRedeemCodeConnection!
  minimumRequirement: DiscountMinimumRequirement
  combinesWith: DiscountCombinesWith!
  context: DiscountContext!
  customerSelection: DiscountCustomerSelection!
  maximumShippingPrice: MoneyV2
}
union DiscountCode = DiscountCodeBasic | DiscountCodeFreeShipping
type DiscountCodeNode implements Node { id: ID! codeDiscount: DiscountCode! }

type DiscountUserError {
  field: [String!]
  code: DiscountErrorCode
  message: String!
  extraInfo: String
}
type UserError { field: [String!] message: String! }
type MetafieldsSetUserError {
  field: [String!]
  code: MetafieldsSetUserErrorCode
  message: String!
  elementIndex: Int
}
type CustomerEmailMarketingConsentUpdateUserError {
  field: [String!]
  code: CustomerEmailMarketingConsentUpdateUserErrorCode
  message: String!
}

type DiscountRedeemCodeBulkCreationCode {
  code: String!
  discountRedeemCode: DiscountRedeemCode
  errors: [DiscountUserError!]!
}
type DiscountRedeemCodeBulkCreationCodeEdge {
  cursor: String!
  node: DiscountRedeemCodeBulkCreationCode!
}
type DiscountRedeemCodeBulkCreationCodeConnection {
  edges: [DiscountRedeemCodeBulkCreationCodeEdge!]!
  nodes: [DiscountRedeemCodeBulkCreationCode!]!
  pageInfo: PageInfo!
}
type DiscountRedeemCodeBulkCreation implements Node {
  id: ID!
  done: Boolean!
  codesCount: Int!
  importedCount: Int!
  failedCount: Int!
  createdAt: DateTime!
  discountCode: DiscountCodeNode
  codes(first: Int, last: Int, after: String): DiscountRedeemCodeBulkCreationCodeConnection!
}

type Image {
  id: ID
  url: URL!
  altText: String
  width: Int
  height: Int
}
type Product implements Node {
  id: ID!
  title: String!
  handle: String!
  featuredImage: Image
  createdAt: DateTime!
  updatedAt: DateTime!
  status: ProductStatus!
  onlineStoreUrl: URL
  priceRangeV2: ProductPriceRangeV2!
  variants(first: Int, last: Int, after: String): ProductVariantConnection!
}
type ProductPriceRangeV2 { minVariantPrice: MoneyV2! maxVariantPrice: MoneyV2! }
type ProductEdge { cursor: String! node: Product! }
type ProductConnection {
  edges: [ProductEdge!]!
  nodes: [Product!]!
  pageInfo: PageInfo!
}
type ProductVariant implements Node {
  id: ID!
  title: String!
  displayName: String!
  price: Money!
  sku: String
  image: Image
  product: Product!
}
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection {
  edges: [ProductVariantEdge!]!
  nodes: [ProductVariant!]!
  pageInfo: PageInfo!
}

type WebhookSubscription implements Node {
  id: ID!
  topic: WebhookSubscriptionTopic!
  uri: String!
  format: WebhookSubscriptionFormat!
  includeFields: [String!]!
  filter: String
  createdAt: DateTime!
  updatedAt: DateTime!
}
type WebhookSubscriptionEdge { cursor: String! node: WebhookSubscription! }
type WebhookSubscriptionConnection {
  edges: [WebhookSubscriptionEdge!]!
  nodes: [WebhookSubscription!]!
  pageInfo: PageInfo!
}

type Query {
  shop: Shop!
  currentAppInstallation: AppInstallation!
  storeCreditAccount(id: ID!): StoreCreditAccount
  metaobjectByHandle(handle: MetaobjectHandleInput!): Metaobject
  customer(id: ID!): Customer
  customers(
    first: Int
    last: Int
    after: String
    query: String
    sortKey: CustomerSortKeys
    reverse: Boolean
  ): CustomerConnection!
  order(id: ID!): Order
  orders(
    first: Int
    last: Int
    after: String
    query: String
    sortKey: OrderSortKeys
    reverse: Boolean
  ): OrderConnection!
  abandonedCheckouts(
    first: Int
    last: Int
    after: String
    query: String
    sortKey: AbandonedCheckoutSortKeys
    reverse: Boolean
  ): AbandonedCheckoutConnection!
  bulkOperation(id: ID!): BulkOperation
  currentBulkOperation(type: BulkOperationType): BulkOperation
  codeDiscountNode(id: ID!): DiscountCodeNode
  segment(id: ID!): Segment
  codeDiscountNodeByCode(code: String!): DiscountCodeNode
  discountRedeemCodeBulkCreation(id: ID!): DiscountRedeemCodeBulkCreation
  shopLocales(published: Boolean): [ShopLocale!]!
  webhookSubscriptions(
    first: Int
    last: Int
    after: String
    topics: [WebhookSubscriptionTopic!]
  ): WebhookSubscriptionConnection!
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  product(id: ID!): Product
  productVariant(id: ID!): ProductVariant
  products(
    first: Int
    last: Int
    after: String
    reverse: Boolean
    sortKey: ProductSortKeys
    query: String
  ): ProductConnection!
}

input DiscountCustomersInput { add: [ID!] remove: [ID!] }
input DiscountCustomerSegmentsInput { add: [ID!] remove: [ID!] }
input DiscountContextInput {
  all: DiscountBuyerSelection
  customers: DiscountCustomersInput
  customerSegments: DiscountCustomerSegmentsInput
}
input DiscountCustomerSelectionInput {
  all: Boolean
  customers: DiscountCustomersInput
  customerSegments: DiscountCustomerSegmentsInput
}
input DiscountAmountInput { amount: Decimal appliesOnEachItem: Boolean }
input DiscountCustomerGetsValueInput { percentage: Float discountAmount: DiscountAmountInput }
input DiscountItemsInput { all: Boolean }
input DiscountCustomerGetsInput {
  value: DiscountCustomerGetsValueInput
  items: DiscountItemsInput
  appliesOnOneTimePurchase: Boolean
  appliesOnSubscription: Boolean
}
input DiscountMinimumSubtotalInput { greaterThanOrEqualToSubtotal: Decimal }
input DiscountMinimumQuantityInput { greaterThanOrEqualToQuantity: UnsignedInt64 }
input DiscountMinimumRequirementInput {
  subtotal: DiscountMinimumSubtotalInput
  quantity: DiscountMinimumQuantityInput
}
input DiscountCombinesWithInput {
  orderDiscounts: Boolean
  productDiscounts: Boolean
  shippingDiscounts: Boolean
}
input DiscountCodeBasicInput {
  title: String
  code: String
  startsAt: DateTime
  endsAt: DateTime
  usageLimit: Int
  appliesOncePerCustomer: Boolean
  context: DiscountContextInput
  customerSelection: DiscountCustomerSelectionInput
  customerGets: DiscountCustomerGetsInput
  minimumRequirement: DiscountMinimumRequirementInput
  combinesWith: DiscountCombinesWithInput
  recurringCycleLimit: Int
}
input DiscountShippingDestinationSelectionInput { all: Boolean }
input DiscountCodeFreeShippingInput {
  title: String
  code: String
  startsAt: DateTime
  endsAt: DateTime
  usageLimit: Int
  appliesOncePerCustomer: Boolean
  context: DiscountContextInput
  customerSelection: DiscountCustomerSelectionInput
  minimumRequirement: DiscountMinimumRequirementInput
  combinesWith: DiscountCombinesWithInput
  maximumShippingPrice: Decimal
  destination: DiscountShippingDestinationSelectionInput
  appliesOnOneTimePurchase: Boolean
  appliesOnSubscription: Boolean
}
input DiscountRedeemCodeInput { code: String! }
input MetaobjectHandleInput { type: String! handle: String! }
input MetaobjectFieldInput { key: String! value: String! }
input MetaobjectUpsertInput { handle: String fields: [MetaobjectFieldInput!] }
input MetafieldIdentifierInput { ownerId: ID! namespace: String! key: String! }
input MetafieldsSetInput {
  ownerId: ID!
  namespace: String
  key: String!
  value: String!
  type: String
  compareDigest: String
}
input WebhookSubscriptionInput {
  uri: String
  callbackUrl: URL
  format: WebhookSubscriptionFormat
  includeFields: [String!]
  filter: String
}
input MoneyInput { amount: Decimal! currencyCode: CurrencyCode! }
input StoreCreditAccountCreditInput {
  creditAmount: MoneyInput!
  expiresAt: DateTime
  notify: Boolean = false
}
input CustomerEmailMarketingConsentInput {
  marketingState: CustomerEmailMarketingState!
  marketingOptInLevel: CustomerMarketingOptInLevel
  consentUpdatedAt: DateTime
}
input CustomerEmailMarketingConsentUpdateInput {
  customerId: ID!
  emailMarketingConsent: CustomerEmailMarketingConsentInput!
}

type DiscountCodeBasicCreatePayload {
  codeDiscountNode: DiscountCodeNode
  userErrors: [DiscountUserError!]!
}
type DiscountCodeFreeShippingCreatePayload {
  codeDiscountNode: DiscountCodeNode
  userErrors: [DiscountUserError!]!
}
type DiscountRedeemCodeBulkAddPayload {
  bulkCreation: DiscountRedeemCodeBulkCreation
  userErrors: [DiscountUserError!]!
}
type DiscountCodeDeactivatePayload {
  codeDiscountNode: DiscountCodeNode
  userErrors: [DiscountUserError!]!
}
type DiscountCodeActivatePayload {
  codeDiscountNode: DiscountCodeNode
  userErrors: [DiscountUserError!]!
}
type DiscountCodeDeletePayload { deletedCodeDiscountId: ID userErrors: [DiscountUserError!]! }
type MetafieldsSetPayload { metafields: [Metafield!] userErrors: [MetafieldsSetUserError!]! }
type MetaobjectField { key: String! type: String! value: String }
type Metaobject implements Node {
  id: ID!
  type: String!
  handle: String!
  fields: [MetaobjectField!]!
  field(key: String!): MetaobjectField
  updatedAt: DateTime!
}
type MetaobjectFieldDefinition { key: String! name: String! required: Boolean! }
type MetaobjectDefinition {
  id: ID!
  type: String!
  name: String!
  fieldDefinitions: [MetaobjectFieldDefinition!]!
}
type MetaobjectUserError {
  field: [String!]
  message: String!
  code: String
  elementKey: String
  elementIndex: Int
}
type StandardMetaobjectDefinitionEnablePayload {
  metaobjectDefinition: MetaobjectDefinition
  userErrors: [MetaobjectUserError!]!
}
type MetaobjectUpsertPayload { metaobject: Metaobject userErrors: [MetaobjectUserError!]! }
type MetaobjectDeletePayload { deletedId: ID userErrors: [MetaobjectUserError!]! }
type MetafieldIdentifier { ownerId: ID! namespace: String! key: String! }
type MetafieldsDeletePayload { deletedMetafields: [MetafieldIdentifier] userErrors: [UserError!]! }
type TagsAddPayload { node: Node userErrors: [UserError!]! }
type TagsRemovePayload { node: Node userErrors: [UserError!]! }
type WebhookSubscriptionCreatePayload {
  webhookSubscription: WebhookSubscription
  userErrors: [UserError!]!
}
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId: ID userErrors: [UserError!]! }
type SegmentCreatePayload { segment: Segment userErrors: [UserError!]! }
type CustomerEmailMarketingConsentUpdatePayload {
  customer: Customer
  userErrors: [CustomerEmailMarketingConsentUpdateUserError!]!
}

type Mutation {
  discountCodeBasicCreate(
    basicCodeDiscount: DiscountCodeBasicInput!
  ): DiscountCodeBasicCreatePayload
  discountCodeFreeShippingCreate(
    freeShippingCodeDiscount: DiscountCodeFreeShippingInput!
  ): DiscountCodeFreeShippingCreatePayload
  discountRedeemCodeBulkAdd(
    discountId: ID!
    codes: [DiscountRedeemCodeInput!]!
  ): DiscountRedeemCodeBulkAddPayload
  discountCodeDeactivate(id: ID!): DiscountCodeDeactivatePayload
  discountCodeActivate(id: ID!): DiscountCodeActivatePayload
  discountCodeDelete(id: ID!): DiscountCodeDeletePayload
  metafieldsSet(metafields: [MetafieldsSetInput!]!): MetafieldsSetPayload
  metafieldsDelete(metafields: [MetafieldIdentifierInput!]!): MetafieldsDeletePayload
  standardMetaobjectDefinitionEnable(type: String!): StandardMetaobjectDefinitionEnablePayload
  metaobjectUpsert(
    handle: MetaobjectHandleInput!
    metaobject: MetaobjectUpsertInput!
  ): MetaobjectUpsertPayload
  metaobjectDelete(id: ID!): MetaobjectDeletePayload
  tagsAdd(id: ID!, tags: [String!]!): TagsAddPayload
  tagsRemove(id: ID!, tags: [String!]!): TagsRemovePayload
  webhookSubscriptionCreate(
    topic: WebhookSubscriptionTopic!
    webhookSubscription: WebhookSubscriptionInput!
  ): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
  bulkOperationRunQuery(query: String!, groupObjects: Boolean): BulkOperationRunQueryPayload
  customerEmailMarketingConsentUpdate(
    input: CustomerEmailMarketingConsentUpdateInput!
  ): CustomerEmailMarketingConsentUpdatePayload
  segmentCreate(name: String!, query: String!): SegmentCreatePayload
  storeCreditAccountCredit(
    id: ID!
    creditInput: StoreCreditAccountCreditInput!
  ): StoreCreditAccountCreditPayload
}
"""
)


@cache
def admin_schema() -> GraphQLSchema:
    return build_schema(SDL)
