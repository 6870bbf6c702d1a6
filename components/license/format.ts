/** The portal's formatters; one implementation, in the core, shared with mails and status messages. */
export * from "@ticketzero/core/license/format";
