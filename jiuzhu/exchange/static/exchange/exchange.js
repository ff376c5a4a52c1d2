// Import page: a Chinese "选择文件" button instead of the browser's own (often English) file control.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-file-picker]").forEach(function (picker) {
    var input = picker.querySelector("input[type=file]");
    var name = picker.querySelector("[data-file-name]");
    if (!input || !name) { return; }
    input.addEventListener("change", function () {
      name.textContent = input.files.length ? input.files[0].name : "未选择文件";
    });
  });
});
