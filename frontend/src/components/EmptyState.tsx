// Polaris' empty state (<s-empty-state>): why a list has nothing to show yet and the one action
// that moves the merchant on (a link within the app, or a button).

export interface EmptyAction {
  label: string;
  href?: string;
  onClick?: () => void;
}

export function EmptyState({
  heading,
  body,
  action,
  secondary,
}: {
  heading: string;
  body: string;
  action: EmptyAction;
  secondary?: EmptyAction;
}) {
  return (
    <s-empty-state heading={heading}>
      <s-text slot="subheading">{body}</s-text>
      <s-button slot="primary-action" variant="primary" href={action.href} onClick={action.onClick}>
        {action.label}
      </s-button>
      {secondary && (
        <s-button slot="secondary-actions" variant="secondary" href={secondary.href} onClick={secondary.onClick}>
          {secondary.label}
        </s-button>
      )}
    </s-empty-state>
  );
}
