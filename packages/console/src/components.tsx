import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export function ErrorNote({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p class="note error" role="alert">
      {text}
    </p>
  );
}

export function Notice({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p class="note ok" role="status">
      {text}
    </p>
  );
}

/**
 * A secret shown once: selectable, copyable, and said plainly that it will
 * not be shown again. It lives only in this component's props: gone on
 * navigation or reload.
 */
export function SecretOnce({ clientId, secret, onDone }: { clientId: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h2 id="secret-title">Client secret for {clientId}</h2>
      <p>Copy it now and keep it somewhere safe: it is shown this once, and never again.</p>
      <div class="secret-row">
        <label for="secret-value" class="visually-hidden">
          Client secret
        </label>
        <input id="secret-value" class="mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status" class="quiet">
        {copied ? 'Copied to the clipboard.' : ''}
      </p>
      <button type="button" class="secondary" onClick={onDone}>
        I have kept it
      </button>
    </section>
  );
}

/** A modal confirmation (the native dialog: focus is trapped and Escape cancels). */
export function Confirm({
  title,
  children,
  action,
  danger,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ComponentChildren;
  action: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      <div>{children}</div>
      <div class="actions">
        <button type="button" class={danger ? 'danger' : ''} onClick={onConfirm}>
          {action}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
