import type { ReactNode } from "react";
import { cn } from "./cn";
import { SubmitButton } from "./submit-button";

const TRIGGER_TONES = {
  danger: "text-red-700 ring-red-200 hover:bg-red-50 focus-visible:outline-red-600",
  warning: "text-amber-800 ring-amber-300 hover:bg-amber-50 focus-visible:outline-amber-600",
};

/**
 * A destructive action behind a disclosure: the confirmation (what happens,
 * then the button) works without JavaScript and is announced as expanded.
 * `fields` are the hidden form fields; `children` extra visible ones.
 */
export function ConfirmDisclosure(props: {
  label: string;
  tone: keyof typeof TRIGGER_TONES;
  describedBy?: string;
  fullWidth?: boolean;
  title: string;
  body: string;
  action: (formData: FormData) => Promise<void>;
  fields: Record<string, string>;
  submit: string;
  children?: ReactNode;
}) {
  return (
    <details className="group relative inline-block text-left [&_summary::-webkit-details-marker]:hidden">
      <summary
        className={cn(
          "inline-flex cursor-pointer list-none items-center justify-center rounded-lg px-3 py-1.5 text-sm font-semibold ring-1 focus-visible:outline-2 focus-visible:outline-offset-2",
          TRIGGER_TONES[props.tone],
          props.fullWidth && "w-full",
        )}
        aria-describedby={props.describedBy}
      >
        {props.label}
      </summary>
      <div className="z-10 mt-2 w-72 max-w-[calc(100vw-3rem)] rounded-xl bg-white p-4 text-left shadow-lg ring-1 ring-slate-200 md:absolute md:right-0">
        <p className="text-sm font-semibold text-slate-900">{props.title}</p>
        <p className="mt-1 text-sm text-slate-600">{props.body}</p>
        <form action={props.action} className="mt-3 space-y-2">
          {Object.entries(props.fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          {props.children}
          <SubmitButton variant="danger" size="sm" fullWidth>
            {props.submit}
          </SubmitButton>
        </form>
      </div>
    </details>
  );
}
