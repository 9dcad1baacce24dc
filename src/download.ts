/**
 * Have the browser save an address to a file (as it arrives: the page does not hold it).
 *
 * @param url the address (a server route, or an object URL)
 * @param name the file's name; empty: the one the server gives
 */
export function saveURL(url: string, name = ''): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}
