"""A Tk window that reports every input event it receives as JSON lines on stdout.

Used by the actuator tests: what the real actuator sends must arrive here exactly.
"""

import json
import sys
import tkinter as tk


def main() -> None:
    root = tk.Tk()
    root.title("deskhand-probe")
    root.geometry("1000x700+0+0")
    entry = tk.Entry(root, font=("DejaVu Sans", 14))
    entry.place(x=20, y=620, width=900, height=40)

    def emit(**kw: object) -> None:
        print(json.dumps(kw), flush=True)

    root.bind_all("<ButtonPress>", lambda e: emit(ev="press", b=e.num, x=e.x_root, y=e.y_root))
    root.bind_all("<ButtonRelease>",
                  lambda e: emit(ev="release", b=e.num, x=e.x_root, y=e.y_root))
    root.bind_all("<Motion>", lambda e: emit(ev="motion", x=e.x_root, y=e.y_root, s=e.state))
    root.bind_all("<KeyPress>", lambda e: emit(ev="key", keysym=e.keysym, state=e.state))
    root.bind_all("<KeyRelease>", lambda e: emit(ev="text", value=entry.get()))
    root.after(200, lambda: (entry.focus_force(), emit(ev="ready")))
    root.mainloop()


if __name__ == "__main__":
    main()
    sys.exit(0)
