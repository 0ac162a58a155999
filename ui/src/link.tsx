/** An `<a>` that navigates inside the app (history routing) unless opened in a new tab. */
import type { MouseEvent, ReactNode } from 'react';
import { navigate } from './router.js';

/** Props of {@link Link}. */
export interface LinkProps {
  to: string;
  children: ReactNode;
  className?: string;
  current?: boolean;
}

/** A link to an app path. */
export function Link({ to, children, className, current = false }: LinkProps) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>): void => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}
