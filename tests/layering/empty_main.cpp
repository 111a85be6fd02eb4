// The program each library is linked into whole by tests/layering/CMakeLists.txt: it only has
// to link. Nothing runs it.
int main() {
  return 0;
}
