import { useState } from 'react';
import type { ReactNode } from 'react';
import type { ApiResult, ValidationIssue } from '../../transport/api-types';

/**
 * What the rule and channel forms keep while saving: busy while the server answers; on success the
 * form closes, otherwise the server's issues go under their fields (or its message under the form when
 * it names none). `edited` drops the form-wide message once the person changes something.
 */
export function useSaving<T>(close: () => void) {
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (saving: Promise<ApiResult<T>>) => {
    setBusy(true);
    const result = await saving;
    setBusy(false);
    if (result.ok) {
      close();
      return;
    }
    setIssues(result.error.issues ?? []);
    setFormError(result.error.issues === undefined || result.error.issues.length === 0 ? result.error.message : null);
  };
  const edited = (keep: (issues: ValidationIssue[]) => ValidationIssue[]) => {
    setIssues(keep);
    setFormError(null);
  };
  return { issues, formError, busy, save, edited };
}

/** The panel of a rule or channel form: its heading, and submitting without the browser's own validation. */
export function AlertForm(props: { className: string; label: string; heading: string; onSubmit(): void; children: ReactNode }) {
  return (
    <form
      className={`panel ${props.className}`}
      aria-label={props.label}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <div className="panel-head">
        <h2>{props.heading}</h2>
      </div>
      {props.children}
    </form>
  );
}
