// The secret form (web-surfaces W3): shown only when the gateway wants a secret and none is stored, or when the
// gateway refused one, with its message. A password field keeps the secret off screen and out of autofill
// history; nothing of it is ever put in a URL (S8). Text only through textContent (S11).

/** What the page does when the user submits the form. */
export type LoginSubmit = (secret: string, remember: boolean) => void;

/** The mounted form. */
export interface LoginForm {
  /** Shows the form, with the gateway's `message` when it refused the last try. */
  show(message?: string): void;
  hide(): void;
}

/** Builds the form (hidden) inside `container`; `label` is the field's name ("Gateway token" or "Gateway password"). */
export function mountLoginForm(container: HTMLElement, label: string, onSubmit: LoginSubmit): LoginForm {
  const form = document.createElement('form');
  form.setAttribute('aria-label', 'Gateway login');
  form.hidden = true;
  const message = document.createElement('p');
  message.setAttribute('aria-live', 'polite');
  message.className = 'login-message';
  const field = labelled(label, 'password', 'current-password');
  const remember = labelled('Remember on this browser', 'checkbox');
  const connect = document.createElement('button');
  connect.type = 'submit';
  connect.textContent = 'Connect';
  form.append(message, field.label, remember.label, connect);
  container.append(form);
  // CSP form-action 'none' forbids a real submit: the page handles it
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const secret = field.input.value.trim();
    if (secret === '') {
      message.textContent = `${label} is empty`;
      field.input.focus();
      return;
    }
    field.input.value = '';
    onSubmit(secret, remember.input.checked);
  });
  return {
    show(text) {
      message.textContent = text ?? '';
      form.hidden = false;
      field.input.focus();
    },
    hide() {
      form.hidden = true;
      message.textContent = '';
    },
  };
}

function labelled(text: string, type: 'password' | 'checkbox', autocomplete?: string): { label: HTMLLabelElement; input: HTMLInputElement } {
  const label = document.createElement('label');
  const input = document.createElement('input');
  input.type = type;
  if (autocomplete) input.autocomplete = autocomplete as AutoFill;
  const span = document.createElement('span');
  span.textContent = text;
  // the checkbox reads best after its box, a field after its name
  if (type === 'checkbox') label.append(input, span);
  else label.append(span, input);
  return { label, input };
}
