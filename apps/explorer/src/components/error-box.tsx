import type { ApiError } from '../api';

/** A failed request as the API described it: its error code (and the reason behind it) and message. */
export function ErrorBox({ error, context }: { error: ApiError; context: string }) {
  return (
    <div class="banner banner-error" role="alert" data-testid="error">
      <strong>{context}:</strong> <code class="error-code">{error.code}</code>{' '}
      {error.reason && error.reason !== error.code && <code class="error-code">({error.reason})</code>} {error.message}
    </div>
  );
}
