// Hookline's portal works without this file; it only shows times in the reader's own time zone and language, and tells
// the server that zone for the date fields of the filter and recovery forms.
document.addEventListener("DOMContentLoaded", () => {
  const lang = document.documentElement.lang || undefined;
  const format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium" });
  for (const time of document.querySelectorAll("time[datetime]")) {
    const when = new Date(time.getAttribute("datetime"));
    if (!isNaN(when)) { time.title = time.textContent; time.textContent = format.format(when); }
  }
  const offset = String(new Date().getTimezoneOffset());
  for (const tz of document.querySelectorAll("input.tz")) tz.value = offset;
});
