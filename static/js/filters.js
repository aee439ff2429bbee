// The incident list's filters: folded behind one control on a phone, open at a desk.
const filters = document.querySelector("[data-filters]");
if (filters && window.matchMedia("(min-width: 48rem)").matches) filters.open = true;
