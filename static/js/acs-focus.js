// Challenge after a wrong answer: put the cursor back in the first field marked invalid, so the
// member (and a screen reader, which then reads the message with the tries left) starts again there.
(function () {
  var field = document.querySelector('input[aria-invalid="true"]');
  if (field) field.focus();
})();
