// App Bridge's web components in React's JSX (@shopify/app-bridge-types declares them for the
// global JSX namespace, which React 19 no longer reads).

import type {
  SAppNavAttributes,
  UIModalAttributes,
  UINavMenuAttributes,
  UISaveBarAttributes,
  UITitleBarAttributes,
} from "@shopify/app-bridge-types";
import type { RefAttributes } from "react";

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "ui-save-bar": UISaveBarAttributes & RefAttributes<UISaveBarElement>;
      "ui-modal": UIModalAttributes & RefAttributes<UIModalElement>;
      "ui-title-bar": UITitleBarAttributes & RefAttributes<UITitleBarElement>;
      "ui-nav-menu": UINavMenuAttributes;
      "s-app-nav": SAppNavAttributes;
    }
  }
}
