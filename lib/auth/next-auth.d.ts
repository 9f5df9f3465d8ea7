import "next-auth";
import "next-auth/jwt";

declare module "next-auth" {
  interface Session {
    user: {
      name?: string | null;
      email?: string | null;
      image?: string | null;
      /** The personal code TARA gave (the TIM TARA JWT's sub). */
      subject?: string;
      /** TIM's TARA session id (the TIM TARA JWT's sid). */
      sessionId?: string;
    };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    sid?: string;
  }
}
