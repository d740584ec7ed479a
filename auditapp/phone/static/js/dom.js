// A small element builder: the app builds its screens with it (no framework, no innerHTML of data).

/** h("button.primary", {onclick, disabled}, "text", child...) */
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const element = document.createElement(tag || "div");
  if (classes.length) element.className = classes.join(" ");
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    // A textarea's text and an input's current value are properties, not attributes.
    else if (name === "value" || (name in element && typeof value !== "string")) element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function mount(element) {
  const root = document.getElementById("app");
  root.replaceChildren(element);
  window.scrollTo(0, 0); // a new screen starts at its top, not where the last one was scrolled
  return element;
}
