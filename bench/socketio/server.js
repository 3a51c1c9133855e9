// The baseline the end-to-end benchmark compares against: the stack the seed came from, reduced
// to its fan-out. Clients connect with Socket.IO, say which rooms they are in, and POST /send
// emits `chat:newMessage` to the room from memory and answers 201 — nothing is stored.
// Usage: PORT=4000 node server.js

import { createServer } from "node:http";

import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 4000);
let seq = 0;

const http = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/send") {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      let message;
      try {
        message = JSON.parse(body);
      } catch {
        res.writeHead(400).end();
        return;
      }
      seq += 1;
      const event = { type: "chat:newMessage", conversationId: message.room, seq, data: { id: `m${seq}`, body: message.body } };
      io.to(message.room).emit("chat:newMessage", event);
      res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(event.data));
    });
    return;
  }
  if (req.url === "/health") {
    res.writeHead(200).end("ok");
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  socket.on("subscribe", (rooms) => {
    for (const room of rooms) socket.join(room);
    socket.emit("subscribed", { rooms: rooms.length });
  });
});

http.listen(port, "127.0.0.1", () => console.log(`socket.io baseline on ${port}`));
