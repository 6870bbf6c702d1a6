"use client";

import { useFormStatus } from "react-dom";
import { Button, type ButtonAsButtonProps } from "./button";

/**
 * A submit button that shows its own pending spinner while the enclosing `<form action={…}>` runs.
 * Usable inside server components (e.g. a Deactivate form per row).
 */
export function SubmitButton({ pending, ...props }: Omit<ButtonAsButtonProps, "type">) {
  const status = useFormStatus();
  return <Button type="submit" pending={pending || status.pending} {...props} />;
}
