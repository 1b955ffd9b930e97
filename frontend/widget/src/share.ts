// Share buttons for the referral link: plain links to each network's documented share URL
// (no third-party script is loaded), and the email client.

export interface ShareTarget {
  key: "email" | "x" | "facebook" | "whatsapp";
  href: string;
}

export function shareTargets(link: string, message: string): ShareTarget[] {
  const text = `${message} ${link}`;
  const q = encodeURIComponent;
  return [
    { key: "email", href: `mailto:?subject=${q(message)}&body=${q(text)}` },
    { key: "x", href: `https://x.com/intent/post?text=${q(text)}` },
    { key: "facebook", href: `https://www.facebook.com/sharer/sharer.php?u=${q(link)}` },
    { key: "whatsapp", href: `https://wa.me/?text=${q(text)}` },
  ];
}
