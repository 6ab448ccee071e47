/** The foot of the rule and channel forms: Enabled, Cancel, the submit button, and messages that belong to no field. */
export function FormFooter(props: {
  enabled: boolean;
  onEnabled(enabled: boolean): void;
  submitLabel: string;
  submitDisabled: boolean;
  close(): void;
  /** The form's own error and the server's messages for fields the form does not show. */
  messages: readonly string[];
}) {
  return (
    <>
      <div className="row">
        <label className="inline">
          <input type="checkbox" checked={props.enabled} onChange={(e) => props.onEnabled(e.target.checked)} />
          <span>Enabled</span>
        </label>
        <span className="grow" />
        <button type="button" onClick={props.close}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={props.submitDisabled}>
          {props.submitLabel}
        </button>
      </div>
      {props.messages.length > 0 && (
        <p role="alert" className="field-error">
          {props.messages.join('; ')}
        </p>
      )}
    </>
  );
}
