// App Bridge's title bar (<ui-title-bar>), drawn by the admin above the app's frame: the page's
// title and its page-level actions (one primary, the others secondary), each a button of the
// app's that the admin presses when the merchant clicks its copy.

export interface TitleBarAction {
  label: string;
  onAction: () => void;
  disabled?: boolean;
  loading?: boolean;
  critical?: boolean;
}

export function TitleBar({
  title,
  primary,
  secondary = [],
}: {
  title: string;
  primary?: TitleBarAction;
  secondary?: TitleBarAction[];
}) {
  const button = (action: TitleBarAction, variant?: "primary") => (
    <button
      key={action.label}
      variant={variant}
      tone={action.critical ? "critical" : undefined}
      disabled={action.disabled || action.loading}
      loading={action.loading ? "" : undefined}
      onClick={action.onAction}
    >
      {action.label}
    </button>
  );
  return (
    <ui-title-bar title={title}>
      {secondary.map((action) => button(action))}
      {primary && button(primary, "primary")}
    </ui-title-bar>
  );
}
