import { useId } from 'react';
import type { ReactNode } from 'react';

/** Ties a control to its label (a select's own text must not become its name) and to its error message. */
interface A11y {
  'aria-labelledby': string;
  'aria-describedby': string | undefined;
  'aria-invalid': boolean;
}

/** One labelled field with the messages for it underneath (the server's, or the form's own). */
export function Field({ label, errors, children }: { label: string; errors: string[] | undefined; children: (a11y: A11y) => ReactNode }) {
  const id = useId();
  const a11y: A11y = { 'aria-labelledby': `${id}-label`, 'aria-describedby': errors !== undefined ? `${id}-error` : undefined, 'aria-invalid': errors !== undefined };
  return (
    <label className={errors !== undefined ? 'invalid' : undefined}>
      <span id={`${id}-label`}>{label}</span>
      {children(a11y)}
      {errors !== undefined && (
        <span className="field-error" id={`${id}-error`}>
          {errors.join('; ')}
        </span>
      )}
    </label>
  );
}
