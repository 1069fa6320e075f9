// "Add a row" for Django formsets (data-formset): clones the empty form kept in a <template>,
// numbering it and counting it in TOTAL_FORMS. Without JavaScript the blank extra rows serve.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-formset-add]");
  if (!button) {
    return;
  }
  var box = button.closest("[data-formset]");
  var prefix = box.getAttribute("data-formset");
  var total = box.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
  var template = box.querySelector("template[data-formset-empty]");
  var index = parseInt(total.value, 10);
  var html = template.innerHTML.replace(/__prefix__/g, String(index));
  var holder = document.createElement("div");
  holder.innerHTML = html;
  while (holder.firstChild) {
    box.querySelector("[data-formset-rows]").appendChild(holder.firstChild);
  }
  total.value = String(index + 1);
});
