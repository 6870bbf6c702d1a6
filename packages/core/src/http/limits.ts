/**
 * Body limits shared by the launcher and Next.js (no imports: next.config.ts reads this too).
 * Server action forms are a few fields, or one small file (an air-gapped request file, 16 KiB at
 * most); the JSON API has its own limit (MAX_BODY_BYTES).
 */
export const SERVER_ACTION_BODY_LIMIT_BYTES = 64 * 1024;
