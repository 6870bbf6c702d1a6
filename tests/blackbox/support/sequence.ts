/** Orders of the three ways in: a page's form (server action), the Next.js route handler, the fast path. */
export type Way = "form" | "next" | "fast";
export const WAYS: readonly Way[] = ["form", "next", "fast"];

export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

export const label = (order: readonly string[]) => order.join(" → ");
