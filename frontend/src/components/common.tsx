// Pieces every view uses: loading data with its error, the error banner, the email preview,
// App Bridge toasts.

import { useCallback, useEffect, useState, type DependencyList } from "react";

import { ApiError } from "../api";
import { useI18n } from "../i18n";

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload); the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stable = useCallback(load, deps);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    stable().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) =>
        current &&
        setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [stable, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Skeleton loading: grey bars in the shape of the content on its way (a heading, lines of
 * text), announced once as loading, in place of a spinner or a "Loading…" line. */
export function Loading({ lines = 3 }: { lines?: number }) {
  const { t } = useI18n();
  return (
    <div className="skeleton" role="status" aria-busy="true" aria-label={t("app.loading")}>
      <div className="skeleton-heading" />
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} className="skeleton-line" />
      ))}
    </div>
  );
}

export function ErrorBanner({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <s-banner tone="critical" heading={t("app.error")}>
      <s-paragraph>{error.message}</s-paragraph>
      {onRetry && (
        <s-button onClick={onRetry} variant="secondary">
          {t("app.retry")}
        </s-button>
      )}
    </s-banner>
  );
}

/** An email's HTML, shown inert: a sandboxed frame runs no script and reaches nothing. */
export function EmailPreview({ html, title }: { html: string; title: string }) {
  return (
    <iframe
      sandbox=""
      srcDoc={html}
      title={title}
      style={{ width: "100%", minHeight: 320, border: "1px solid #e3e3e3", borderRadius: 8, background: "#fff" }}
    />
  );
}

export function toast(message: string, isError = false): void {
  window.shopify?.toast.show(message, { isError });
}

export function errorText(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

type FieldEvent = { currentTarget: EventTarget | null };

export function fieldValue(event: FieldEvent): string {
  const target = event.currentTarget as { value?: unknown } | null;
  return target && typeof target.value === "string" ? target.value : "";
}

export function fieldChecked(event: FieldEvent): boolean {
  const target = event.currentTarget as { checked?: unknown } | null;
  return Boolean(target?.checked);
}
