const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });

/** "$7,500.00"; another currency as "4,200 EUR". */
export function formatMoney(cents: number, currency = "usd"): string {
  if (currency.toLowerCase() === "usd") return usd.format(cents / 100);
  return `${new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(cents / 100)} ${currency.toUpperCase()}`;
}
